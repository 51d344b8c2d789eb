import { createParser, type EventSourceMessage } from "eventsource-parser";

export interface SseFrame {
  event: string | undefined;
  id: string | undefined;
  data: string;
}

/** Parses a whole SSE body into frames (comments dropped), with the eventsource-parser the proxy also uses. */
export function parseSse(text: string): SseFrame[] {
  const frames: SseFrame[] = [];
  const parser = createParser({
    onEvent: (message: EventSourceMessage) => frames.push({ event: message.event, id: message.id, data: message.data }),
  });
  parser.feed(text);
  return frames;
}

/** The JSON payloads of the `data:` frames, `[DONE]` left out. */
export function sseJson<T = Record<string, unknown>>(text: string): T[] {
  return parseSse(text)
    .filter((frame) => frame.data !== "[DONE]")
    .map((frame) => JSON.parse(frame.data) as T);
}

/** Reads a streamed response frame by frame, as they arrive. */
export async function* readSse(response: Response): AsyncGenerator<SseFrame> {
  const queue: SseFrame[] = [];
  const parser = createParser({ onEvent: (m) => queue.push({ event: m.event, id: m.id, data: m.data }) });
  const decoder = new TextDecoder();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    while (queue.length > 0) yield queue.shift() as SseFrame;
  }
}
