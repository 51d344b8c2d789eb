/**
 * SIGINT and SIGTERM start a graceful shutdown; a second signal exits at once, for the operator who
 * does not want to wait for in-flight streams.
 */
export function onShutdownSignal(shutdown: (signal: NodeJS.Signals) => Promise<number>): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write(`hermes-proxy: ${signal} again, exiting now\n`);
      process.exit(signal === "SIGINT" ? 130 : 143);
    }
    stopping = true;
    void shutdown(signal).then(
      (code) => process.exit(code),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", handle);
  process.on("SIGTERM", handle);
}

/** Resolves to `fallback` when `promise` takes longer than `ms`. */
export function withDeadline<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
    timer.unref();
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
