/**
 * Runs tasks one at a time per key, in the order they were queued; tasks of different keys run
 * concurrently. A coordination's `update` goes through one: a read-modify-write that waits for the
 * previous one on its key never conflicts with it, so a busy key costs one storage round trip per
 * update instead of compare-and-set retries. The map holds only keys with work queued.
 *
 * @example
 * const inOrder = createKeyedQueue();
 * await inOrder("sessions:a", () => storage.setItem("sessions:a", next));
 */
export function createKeyedQueue(): <T>(key: string, task: () => Promise<T>) => Promise<T> {
  const queues = new Map<string, Promise<unknown>>();
  return <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const previous = queues.get(key);
    // A key with nothing queued starts its task at once: waiting a turn for nothing costs two promises.
    const run = previous === undefined ? start(task) : previous.then(task, task);
    const forget = (): void => {
      if (queues.get(key) === settled) queues.delete(key);
    };
    const settled: Promise<void> = run.then(forget, forget);
    queues.set(key, settled);
    return run;
  };
}

/** `task()`, with a synchronous throw turned into a rejection as `then` would. */
function start<T>(task: () => Promise<T>): Promise<T> {
  try {
    return task();
  } catch (error) {
    return Promise.reject(error);
  }
}
