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
    const run = (queues.get(key) ?? Promise.resolve()).then(task, task);
    const settled = run.catch(() => undefined);
    queues.set(key, settled);
    const forget = () => queues.get(key) === settled && queues.delete(key);
    settled.then(forget, forget);
    return run;
  };
}
