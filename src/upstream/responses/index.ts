import type { HermesConfig } from "../../config/schema.ts";
import { randomId } from "../../utils/index.ts";
import type { HermesEvent, RunInput } from "../../protocol/index.ts";
import type { NewId } from "../../utils/index.ts";
import { createUpstreamHttp } from "../http.ts";
import type { UpstreamResponse } from "../http.ts";
import { scrubError, upstreamError } from "../http-errors.ts";
import { requestHeaders } from "../request-headers.ts";
import { readSseBatches } from "../sse.ts";
import type { Upstream, UpstreamCallOptions } from "../types.ts";
import { decodeResponsesJson } from "./decode-json.ts";
import { ignoredEventTypes, ResponsesStreamDecoder } from "./decode-stream.ts";
import { encodeResponsesRequest } from "./encode-request.ts";
import { isJson, listUpstreamModels } from "../models.ts";

export { ResponsesStreamDecoder } from "./decode-stream.ts";
export { decodeResponsesJson } from "./decode-json.ts";
export { encodeInput, encodeResponsesRequest } from "./encode-request.ts";
export type { EncodeResponsesRequestOptions, ResponsesInputItem, ResponsesRequestBody } from "./encode-request.ts";

/**
 * The Responses API upstream (`POST {baseURL}/responses`), chosen with `upstream.api: "responses"`.
 *
 * Every step sends the whole history with `store: false` (see `encode-request.ts`): the proxy's own
 * state is authoritative, so nothing is chained upstream. Streams; an upstream that ignores `stream`
 * and answers with a JSON body is decoded as it is. Errors: see `http-errors.ts`, plus a 502
 * `upstream_error` for `response.failed`, an `error` event, or a stream that ends before its terminal
 * event; an abort rejects with the signal's reason.
 *
 * @example
 * const upstream = createResponsesUpstream(config.upstream);
 * for await (const event of upstream.stream(input, { signal })) console.log(event.type);
 */
export function createResponsesUpstream(config: HermesConfig["upstream"]): Upstream {
  const { baseURL } = config;
  if (baseURL === undefined) throw new Error("The responses upstream needs upstream.baseURL");
  const http = createUpstreamHttp({ ...config, baseURL });

  async function* stream(input: RunInput, options: UpstreamCallOptions): AsyncGenerator<HermesEvent, void, undefined> {
    const newId = options.newId ?? randomId;
    const response = await http.request({
      method: "POST",
      path: "/responses",
      body: encodeResponsesRequest(input),
      accept: "text/event-stream",
      signal: options.signal,
      headers: requestHeaders(options.requestId),
    });
    // Errors decoded from the body carry the upstream's own text, which may echo its key.
    try {
      if (isJson(response.contentType)) yield* await decodeJsonResponse(response, newId);
      else yield* decodeSseResponse(response, newId);
    } catch (error) {
      throw scrubError(error, config.apiKey);
    }
  }

  return {
    kind: "responses",
    baseURL,
    stream,
    listModels: (signal) => listUpstreamModels(http, signal),
    close: () => http.close(),
  };
}

async function* decodeSseResponse(response: UpstreamResponse, newId: NewId): AsyncGenerator<HermesEvent, void, undefined> {
  const decoder = new ResponsesStreamDecoder(newId);
  const events: HermesEvent[] = [];
  try {
    // Read to the end even after the terminal event: leaving early would close the socket instead of
    // returning it to the keep-alive pool.
    for await (const batch of readSseBatches(response)) {
      if (decoder.finished) continue;
      for (const message of batch) {
        if (decoder.finished) break;
        // Named events we never read are not even parsed; `response.created` repeats every tool schema.
        if (message.event !== undefined && ignoredEventTypes.has(message.event)) continue;
        // The API sends no `[DONE]`, but OpenAI-compatible servers that reuse their chat framing do.
        if (message.data === "[DONE]") continue;
        decoder.push(parseEvent(message.data), events);
      }
      for (const event of events) yield event;
      events.length = 0;
    }
  } catch (error) {
    // After the terminal event the answer and its usage are whole: a connection that fails to close
    // cleanly changes nothing the client needs.
    if (!decoder.finished) throw error;
  }
  decoder.end();
  // What the batch that held the terminal event decoded, if its read failed before it was yielded.
  yield* events;
}

async function decodeJsonResponse(response: UpstreamResponse, newId: NewId): Promise<HermesEvent[]> {
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw upstreamError("The upstream sent a response that is not JSON", error);
  }
  return decodeResponsesJson(body, newId);
}

function parseEvent(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch (error) {
    throw upstreamError("The upstream sent a stream event that is not JSON", error);
  }
}
