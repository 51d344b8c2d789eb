import type { HermesEvent } from "../../protocol/index.ts";
import type { RunCollector } from "../collect.ts";

/**
 * Folds a run's batches of events into its one collector as they pass, and, once the stream is
 * committed, holds the terminal event back until `onEnd` (storing the final response) has finished:
 * a client that sees `response.completed` and chains from it at once always finds it stored, and a
 * kill -9 after the client saw the end never loses it.
 */
export function storeBeforeEnd(batches: AsyncIterator<HermesEvent[]>, collector: RunCollector, onEnd: () => Promise<void>) {
  let committed = false;
  const iterator: AsyncIterator<HermesEvent[]> = {
    async next() {
      const next = await batches.next();
      if (next.done) return next;
      let ended = false;
      for (const event of next.value) {
        collector.add(event);
        if (event.type === "run.completed" || event.type === "run.failed") ended = true;
      }
      if (committed && ended) await onEnd();
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
