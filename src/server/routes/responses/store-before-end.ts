import type { HermesEvent } from "../../../protocol/index.ts";
import { RunCollector, type RunResult } from "../../../wire/collect.ts";

/**
 * Wraps a run's batches of events (`runAgent`) so that, once the stream is committed, the
 * terminal event is held back until `onEnd` (storing the final response) has finished: a client that sees `response.completed` and
 * chains from it at once always finds it stored, and a kill -9 after the client saw the end never
 * loses it. The result is folded from the same events the stream encoder sees, so it is the response
 * the terminal event carries.
 */
export function storeBeforeEnd(batches: AsyncIterator<HermesEvent[]>, onEnd: (result: RunResult) => Promise<void>) {
  const collector = new RunCollector();
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
      if (committed && ended) await onEnd(collector.result);
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
