/** Lines beyond this many characters are written at once instead of waiting for the turn to end. */
const maxPendingChars = 64 * 1024;

export interface LineWriter {
  write(line: string): void;
  /** Writes what is pending now. */
  flush(): void;
}

/**
 * Writes log lines to a stream, gathered per turn of the event loop: stdout to a pipe or a file is
 * synchronous on Linux, so under load one write per request would be one system call per request
 * (the request log is on by default: `chat-json-50`, docs/performance.md round 2).
 *
 * @example
 * const log = createLineWriter(process.stdout);
 * log.write('{"msg":"request"}');
 */
export function createLineWriter(stream: { write(text: string): unknown }): LineWriter {
  let pending = "";
  let timer: NodeJS.Immediate | undefined;
  const flush = () => {
    if (timer) clearImmediate(timer);
    timer = undefined;
    if (pending === "") return;
    const text = pending;
    pending = "";
    stream.write(text);
  };
  return {
    write(line) {
      pending += `${line}\n`;
      if (pending.length >= maxPendingChars) flush();
      else timer ??= setImmediate(flush);
    },
    flush,
  };
}
