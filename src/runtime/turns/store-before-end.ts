import { type HermesEvent, toErrorInfo } from "../../protocol/index.ts";
import type { ResponseFold } from "./response-fold.ts";

/**
 * Folds a run's batches of events into its one fold as they pass, and holds the terminal event back
 * until `onEnd` (storing the final response) has finished: a client that sees `response.completed`
 * and chains from it at once always finds it stored, and a kill -9 after the client saw the end never
 * loses it.
 *
 * A completed run is stored as soon as it ends; a failed one only once the stream is committed (before
 * that the route answers the failure with an HTTP status and stores nothing). When the store fails:
 * before the commit, `next()` rejects with its error (the route answers 503 `storage_unavailable`);
 * after it, `run.completed` is replaced by `run.failed` carrying that error, so the stream ends in
 * `response.failed`, never `response.completed`. A failed run whose record could not be stored still
 * ends as it was going to (the saver settles the record later).
 */
export function storeBeforeEnd(batches: AsyncIterator<HermesEvent[]>, fold: ResponseFold, onEnd: () => Promise<void>) {
  let committed = false;
  const iterator: AsyncIterator<HermesEvent[]> = {
    async next() {
      const next = await batches.next();
      if (next.done) return next;
      let ended: HermesEvent | undefined;
      for (const event of next.value) {
        fold.collector.add(event);
        if (event.type === "run.completed" || event.type === "run.failed") ended = event;
      }
      if (!ended || (!committed && ended.type !== "run.completed")) return next;
      try {
        await onEnd();
      } catch (error) {
        if (!committed) throw error;
        if (ended.type !== "run.completed") return next;
        const failed = fold.fail(toErrorInfo(error));
        return { done: false, value: next.value.map((event) => (event === ended ? failed : event)) };
      }
      return next;
    },
    return: async (value?: unknown) => (await batches.return?.(value)) ?? { done: true, value: undefined },
  };
  return {
    iterator,
    /** From now on the stream is the answer (the route peeked past a failure that would have been an HTTP error). */
    commit() {
      committed = true;
    },
  };
}
