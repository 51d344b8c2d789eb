import type { H3Event } from "h3";
import { HermesError } from "../protocol/index.ts";

const tooLarge = (limit: number) =>
  new HermesError(`Request body exceeds the limit of ${limit} bytes`, { status: 413, code: "body_too_large" });

/**
 * Reads the request body as text, at most `limit` bytes whether or not a Content-Length was sent
 * (a chunked upload is counted as it arrives). Reads Node's request directly when there is one:
 * converting it to a web stream first costs more than the JSON parse.
 */
export async function readBodyText(event: H3Event, limit: number): Promise<{ text: string; bytes: number }> {
  const declared = event.req.headers.get("content-length");
  if (declared !== null) {
    if (!/^\d+$/.test(declared))
      throw new HermesError("Content-Length must be a whole number", { status: 400, code: "invalid_content_length" });
    if (Number(declared) > limit) throw tooLarge(limit);
  }
  const nodeRequest = event.runtime?.node?.req;
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  // Web ReadableStreams are async iterable on Node, though the DOM typings do not say so.
  const source = (nodeRequest ?? event.req.body) as AsyncIterable<Uint8Array> | null;
  if (source) {
    for await (const chunk of source) {
      bytes += chunk.byteLength;
      if (bytes > limit) throw tooLarge(limit);
      chunks.push(chunk);
    }
  }
  return { text: Buffer.concat(chunks, bytes).toString("utf8"), bytes };
}

/** Reads and parses a JSON body: empty or malformed JSON is a 400 `invalid_json`. */
export async function readJsonBody(event: H3Event, limit: number): Promise<{ json: unknown; text: string }> {
  const { text } = await readBodyText(event, limit);
  if (!text.trim()) throw new HermesError("The request body is empty; expected a JSON object", { status: 400, code: "invalid_json" });
  try {
    return { json: JSON.parse(text), text };
  } catch (error) {
    throw new HermesError(`Invalid JSON in request body: ${(error as Error).message}`, { status: 400, code: "invalid_json" });
  }
}
