import type { Readable } from "node:stream";
import type { H3Event } from "h3";
import { HermesError } from "../protocol/index.ts";

const tooLarge = (limit: number) =>
  new HermesError(`Request body exceeds the limit of ${limit} bytes`, {
    status: 413,
    code: "body_too_large",
    headers: { connection: "close" },
  });

/**
 * Reads the request body as text, at most `limit` bytes whether or not a Content-Length was sent
 * (a chunked upload is counted as it arrives). Reads Node's request directly when there is one:
 * converting it to a web stream first costs more than the JSON parse (`chat-json-50`).
 */
export async function readBodyText(event: H3Event, limit: number): Promise<{ text: string; bytes: number }> {
  const declared = event.req.headers.get("content-length");
  if (declared !== null) {
    if (!/^\d+$/.test(declared)) throw new HermesError("Content-Length must be a whole number", { status: 400, code: "invalid_content_length" });
    if (Number(declared) > limit) throw tooLarge(limit);
  }
  const nodeRequest = event.runtime?.node?.req;
  const body = nodeRequest ? await collectNode(nodeRequest, limit) : await collectWeb(event.req.body, limit);
  return { text: body.toString("utf8"), bytes: body.byteLength };
}

/**
 * Collects without destroying the request when it runs over: the 413 still reaches the client, and
 * `Connection: close` keeps the half-read connection out of its pool.
 */
function collectNode(request: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const cleanup = () => {
      request.off("data", onData);
      request.off("end", onEnd);
      request.off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.byteLength;
      if (bytes <= limit) return void chunks.push(chunk);
      cleanup();
      request.pause();
      reject(tooLarge(limit));
    };
    const onEnd = () => {
      cleanup();
      // A request body of a few KiB arrives in one chunk: no copy for it.
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes));
    };
    const onError = (error: Error) => {
      cleanup();
      // The connection went (the client left, or the request timeout closed it): no answer reaches
      // anyone, and it is the client's doing, not an internal error to log.
      reject(new HermesError("The connection closed before the request body was whole", { status: 400, code: "request_incomplete", cause: error }));
    };
    request.on("data", onData);
    request.once("end", onEnd);
    request.once("error", onError);
  });
}

async function collectWeb(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  if (body) {
    // Web ReadableStreams are async iterable on Node, though the DOM typings do not say so.
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.byteLength;
      if (bytes > limit) throw tooLarge(limit);
      chunks.push(chunk);
    }
  }
  return Buffer.concat(chunks, bytes);
}

/** Reads and parses a JSON body: empty or malformed JSON is a 400 `invalid_json`. */
export async function readJsonBody(event: H3Event, limit: number): Promise<{ json: unknown; text: string }> {
  const { text } = await readBodyText(event, limit);
  if (!text.trim()) throw new HermesError("The request body is empty; expected a JSON object", { status: 400, code: "invalid_json" });
  return { json: parseJson(text), text };
}

/** A JSON body that may be left out (its fields all have defaults): undefined when empty, else as `readJsonBody`. */
export async function readOptionalJsonBody(event: H3Event, limit: number): Promise<unknown> {
  const { text } = await readBodyText(event, limit);
  return text.trim() ? parseJson(text) : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HermesError(`Invalid JSON in request body: ${(error as Error).message}`, { status: 400, code: "invalid_json" });
  }
}
