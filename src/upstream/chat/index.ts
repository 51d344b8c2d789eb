import type { HermesConfig } from "../../config/schema.ts";
import { randomId } from "../../utils/index.ts";
import type { HermesEvent, RunInput } from "../../protocol/index.ts";
import { createUpstreamHttp } from "../http.ts";
import { listUpstreamModels } from "../models.ts";
import { requestHeaders } from "../request-headers.ts";
import { type OpenedCall, readUpstream, type UpstreamCodec } from "../sse.ts";
import type { Upstream, UpstreamCallOptions } from "../types.ts";
import { decodeChatJson } from "./decode-json.ts";
import { ChatStreamDecoder } from "./decode-stream.ts";
import { customCalls, customToolsOf } from "./custom-tools.ts";
import { encodeChatRequest } from "./encode-request.ts";
import { refusesStreaming } from "./stream-refusal.ts";

export { ChatStreamDecoder } from "./decode-stream.ts";
export { decodeChatJson } from "./decode-json.ts";
export { encodeChatRequest, encodeMessages } from "./encode-request.ts";
export type { ChatRequestBody, EncodeChatRequestOptions } from "./encode-request.ts";

/** Models whose upstream refused to stream are remembered, up to this many, to skip the wasted call. */
const maxRememberedRefusals = 100;

/** How Chat Completions answers are read (see `sse.ts`): chunks until `[DONE]`, or a `chat.completion`. */
export const chatCodec: UpstreamCodec = {
  stream: (newId) => new ChatStreamDecoder(newId),
  json: decodeChatJson,
  noun: "completion",
};

/**
 * The Chat Completions upstream (`POST {baseURL}/chat/completions`), the default.
 *
 * Streams with `stream_options.include_usage`. When the upstream refuses to stream (a 400 whose
 * `param` is `stream` or whose message says streaming is unsupported: `stream-refusal.ts`), the step
 * is retried once without streaming and the model is remembered so later steps go straight to the
 * non-stream call; any other 400 is the client's, after one call. An upstream that ignores `stream`
 * and answers with a JSON body is decoded as it is, without a second call. Errors: see `http-errors.ts`; an abort rejects with the
 * signal's reason.
 *
 * @example
 * const upstream = createChatUpstream(config.upstream);
 * for await (const batch of upstream.stream(input, { signal })) for (const event of batch) console.log(event.type);
 */
export function createChatUpstream(config: HermesConfig["upstream"]): Upstream {
  const { baseURL } = config;
  if (baseURL === undefined) throw new Error("The chat upstream needs upstream.baseURL");
  const http = createUpstreamHttp({ ...config, baseURL });
  const refusedStreaming = new Set<string>();

  /** The step's request: streamed, unless nobody needs the stream or this model refused to stream (now or before). */
  async function open(input: RunInput, options: UpstreamCallOptions): Promise<OpenedCall> {
    const { signal } = options;
    const headers = requestHeaders(options.requestId);
    if (options.stream !== false && !refusedStreaming.has(input.model)) {
      try {
        const response = await http.request({
          method: "POST",
          path: "/chat/completions",
          body: encodeChatRequest(input),
          accept: "text/event-stream",
          signal,
          headers,
        });
        return { response };
      } catch (error) {
        if (!refusesStreaming(error)) throw error;
        if (refusedStreaming.size >= maxRememberedRefusals) refusedStreaming.clear();
        refusedStreaming.add(input.model);
      }
    }
    const response = await http.request({
      method: "POST",
      path: "/chat/completions",
      body: encodeChatRequest(input, { stream: false }),
      signal,
      headers,
      headersTimeoutMs: config.generationTimeoutMs,
    });
    return { response, json: true };
  }

  return {
    kind: "chat",
    baseURL,
    stream: (input, options): AsyncIterable<HermesEvent[]> => {
      const batches = readUpstream(() => open(input, options), chatCodec, {
        newId: options.newId ?? randomId,
        apiKey: config.apiKey,
        idleTimeoutMs: config.idleTimeoutMs,
      });
      const custom = customToolsOf(input.hostedTools);
      return custom.size === 0 ? batches : customCalls(batches, custom);
    },
    listModels: (signal) => listUpstreamModels(http, signal),
    close: () => http.close(),
  };
}
