/**
 * Server-sent event framing, apart from any mapping: pure string builders the encoders call.
 * JSON is stringified once per frame; `data` never contains a raw newline because JSON escapes it.
 */

/** A `data:` frame. */
export function dataFrame(json: string): string {
  return `data: ${json}\n\n`;
}

/** A named event frame, optionally with an `id:` for `Last-Event-ID` replay. */
export function eventFrame(event: string, json: string, id?: string | number): string {
  return id === undefined ? `event: ${event}\ndata: ${json}\n\n` : `id: ${id}\nevent: ${event}\ndata: ${json}\n\n`;
}

/** A comment line: ignored by every SSE client, keeps proxies from closing an idle stream. */
export function commentFrame(text: string): string {
  return `: ${text}\n\n`;
}

export const DONE_FRAME = "data: [DONE]\n\n";
