import { HermesError, type HermesEvent } from "../protocol/index.ts";

/**
 * Pulls a run's events up to its first piece of output, so a route can still answer a failure that
 * happened before anything was produced (upstream down, a 4xx from the model API) with a real HTTP
 * status instead of a 200 stream holding an error frame.
 */
export async function peekRun(events: AsyncIterator<HermesEvent>): Promise<HermesEvent[]> {
  const buffered: HermesEvent[] = [];
  for (;;) {
    const next = await events.next();
    if (next.done) return buffered;
    const event = next.value;
    if (event.type === "run.failed") {
      const { message, ...info } = event.error;
      throw new HermesError(message, info);
    }
    buffered.push(event);
    if (event.type !== "run.started") return buffered;
  }
}
