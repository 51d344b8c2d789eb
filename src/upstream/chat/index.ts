import type { HermesConfig } from "../../config/schema.ts";
import { HermesError } from "../../protocol/index.ts";
import { randomId } from "../../utils/index.ts";
import type { HermesEvent, RunInput } from "../../protocol/index.ts";
import type { NewId } from "../../utils/index.ts";
import { createUpstreamHttp } from "../http.ts";
import type { UpstreamResponse } from "../http.ts";
import { scrubError, upstreamError } from "../http-errors.ts";
import { requestHeaders } from "../request-headers.ts";
import { readSseBatches } from "../sse.ts";
import { eventsOf } from "../batches.ts";
import type { Upstream, UpstreamCallOptions } from "../types.ts";
import { ChatChunkParser } from "./chunk-parser.ts";
import { decodeChatJson } from "./decode-json.ts";
import { ChatStreamDecoder } from "./decode-stream.ts";
import { encodeChatRequest } from "./encode-request.ts";
import { isJson, listUpstreamModels } from "../models.ts";

export { ChatStreamDecoder } from "./decode-stream.ts";
export { decodeChatJson } from "./decode-json.ts";
export { encodeChatRequest, encodeMessages } from "./encode-request.ts";
export type { ChatRequestBody, EncodeChatRequestOptions } from "./encode-request.ts";

/** Models whose upstream refused to stream are remembered, up to this many, to skip the wasted call. */
const maxRememberedRefusals = 100;

/**
 * The Chat Completions upstream (`POST {baseURL}/chat/completions`), the default.
 *
 * Streams with `stream_options.include_usage`. When the upstream refuses to stream (a 400 that names
 * `stream`), the step is retried once without streaming and the model is remembered so later steps go
 * straight to the non-stream call; an upstream that ignores `stream` and answers with a JSON body is
 * decoded as it is, without a second call. Errors: see `http-errors.ts`; an abort rejects with the
 * signal's reason.
 *
 * @example
 * const upstream = createChatUpstream(config.upstream);
 * for await (const event of upstream.stream(input, { signal })) console.log(event.type);
 */
export function createChatUpstream(config: HermesConfig["upstream"]): Upstream {
  const { baseURL } = config;
  if (baseURL === undefined) throw new Error("The chat upstream needs upstream.baseURL");
  const http = createUpstreamHttp({ ...config, baseURL });
  const refusedStreaming = new Set<string>();

  async function* streamBatches(input: RunInput, options: UpstreamCallOptions): AsyncGenerator<HermesEvent[], void, undefined> {
    const newId = options.newId ?? randomId;
    const { signal } = options;
    const headers = requestHeaders(options.requestId);
    if (!refusedStreaming.has(input.model)) {
      let response: UpstreamResponse | undefined;
      try {
        response = await http.request({
          method: "POST",
          path: "/chat/completions",
          body: encodeChatRequest(input),
          accept: "text/event-stream",
          signal,
          headers,
        });
      } catch (error) {
        if (!refusesStreaming(error)) throw error;
        if (refusedStreaming.size >= maxRememberedRefusals) refusedStreaming.clear();
        refusedStreaming.add(input.model);
      }
      if (response !== undefined) {
        // Errors decoded from the body carry the upstream's own text, which may echo its key.
        try {
          if (isJson(response.contentType)) yield await decodeJsonResponse(response, newId);
          else yield* decodeSseResponse(response, newId);
        } catch (error) {
          throw scrubError(error, config.apiKey);
        }
        return;
      }
    }
    const response = await http.request({
      method: "POST",
      path: "/chat/completions",
      body: encodeChatRequest(input, { stream: false }),
      signal,
      headers,
    });
    try {
      yield await decodeJsonResponse(response, newId);
    } catch (error) {
      throw scrubError(error, config.apiKey);
    }
  }

  return {
    kind: "chat",
    baseURL,
    stream: (input, options) => eventsOf(streamBatches(input, options)),
    streamBatches,
    listModels: (signal) => listUpstreamModels(http, signal),
    close: () => http.close(),
  };
}

/** The events of an SSE body, one batch per network read. */
async function* decodeSseResponse(response: UpstreamResponse, newId: NewId): AsyncGenerator<HermesEvent[], void, undefined> {
  const decoder = new ChatStreamDecoder(newId);
  const parser = new ChatChunkParser();
  let events: HermesEvent[] = [];
  let done = false;
  try {
    // Read to the end even after `[DONE]`: leaving early would close the socket instead of returning
    // it to the keep-alive pool.
    for await (const batch of readSseBatches(response)) {
      if (done) continue;
      for (const message of batch) {
        if (message.data === "[DONE]") {
          done = true;
          break;
        }
        decoder.push(parseChunk(parser, message.data), events);
      }
      if (events.length > 0) {
        yield events;
        events = [];
      }
    }
  } catch (error) {
    // After `[DONE]` the answer and its usage are whole: a connection that fails to close cleanly
    // changes nothing the client needs.
    if (!done) throw error;
  }
  decoder.end(events);
  yield events;
}

async function decodeJsonResponse(response: UpstreamResponse, newId: NewId): Promise<HermesEvent[]> {
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw upstreamError("The upstream sent a completion that is not JSON", error);
  }
  return decodeChatJson(body, newId);
}

function parseChunk(parser: ChatChunkParser, data: string): unknown {
  try {
    return parser.parse(data);
  } catch (error) {
    throw upstreamError("The upstream sent a stream chunk that is not JSON", error);
  }
}

/** A 400 about streaming, from an upstream (or model) that cannot stream. */
function refusesStreaming(error: unknown): boolean {
  if (!HermesError.is(error) || error.status !== 400) return false;
  return error.param === "stream" || error.param === "stream_options" || /stream/i.test(error.message);
}
