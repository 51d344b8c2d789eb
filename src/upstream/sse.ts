import { createParser } from "eventsource-parser";
import type { EventSourceMessage } from "eventsource-parser";
import { upstreamError } from "./http-errors.ts";
import type { UpstreamResponse } from "./http.ts";

/** One SSE event larger than this is a broken or hostile upstream, not a model answer. */
const maxEventChars = 16 * 1024 * 1024;

/**
 * The SSE events of a response body, in batches: one batch per network read, so that a caller's
 * per-event work stays synchronous and the async overhead is paid per read, not per event. The same
 * array is reused for every batch; read it before asking for the next one. An event the body ends
 * inside (no blank line after it) is still delivered.
 */
export async function* readSseBatches(response: UpstreamResponse): AsyncGenerator<EventSourceMessage[], void, undefined> {
  const batch: EventSourceMessage[] = [];
  let overflow = false;
  const parser = createParser({
    onEvent: (message) => {
      batch.push(message);
    },
    onError: (error) => {
      if (error.type === "max-buffer-size-exceeded") overflow = true;
    },
    maxBufferSize: maxEventChars,
  });
  const decoder = new TextDecoder();
  for await (const chunk of response.chunks()) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    if (overflow) throw upstreamError("The upstream sent an oversized stream event");
    if (batch.length > 0) {
      yield batch;
      batch.length = 0;
    }
  }
  parser.feed(decoder.decode());
  parser.reset({ consume: true });
  if (batch.length > 0) yield batch;
}
