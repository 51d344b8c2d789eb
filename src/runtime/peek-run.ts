import { HermesError, type HermesEvent } from "../protocol/index.ts";

/**
 * Pulls a run's batches of events (`runAgent`) up to the one holding its first piece of output,
 * and returns every event pulled, in order: a route can still answer a failure that happened before
 * anything was produced (upstream down, a 4xx from the model API) with a real HTTP status instead of
 * a 200 stream holding an error frame.
 */
export async function peekBatches(batches: AsyncIterator<HermesEvent[]>): Promise<HermesEvent[]> {
  const buffered: HermesEvent[] = [];
  for (;;) {
    const next = await batches.next();
    if (next.done) return buffered;
    let output = false;
    for (const event of next.value) {
      if (event.type === "run.failed" && !output) {
        const { message, ...info } = event.error;
        throw new HermesError(message, info);
      }
      buffered.push(event);
      if (event.type !== "run.started") output = true;
    }
    if (output) return buffered;
  }
}
