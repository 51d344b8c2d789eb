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
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    // Queued before the task starts: a call the task itself makes for the key waits behind it.
    queues.set(key, settled);
    // A key with nothing queued starts its task at once: waiting a turn for nothing costs promises.
    const run = previous === undefined ? start(task) : previous.then(task, task);
    const done = (): void => {
      if (queues.get(key) === settled) queues.delete(key);
      settle();
    };
    run.then(done, done);
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
