import type { HermesEvent } from "../protocol/index.ts";

/** Batches of events as one event at a time: `Upstream.stream` for an upstream that batches natively. */
export async function* eventsOf(batches: AsyncIterable<HermesEvent[]>): AsyncGenerator<HermesEvent, void, undefined> {
  for await (const batch of batches) for (const event of batch) yield event;
}

/** One event at a time as batches of one: for an upstream without `streamBatches`. */
export async function* batchesOf(events: AsyncIterable<HermesEvent>): AsyncGenerator<HermesEvent[], void, undefined> {
  for await (const event of events) yield [event];
}
