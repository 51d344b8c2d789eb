import type { HermesConfig } from "../../config/schema.ts";
import { randomId } from "../../utils/index.ts";
import type { HermesEvent } from "../../protocol/index.ts";
import { createUpstreamHttp } from "../http.ts";
import { upstreamError } from "../http-errors.ts";
import { listUpstreamModels } from "../models.ts";
import { requestHeaders } from "../request-headers.ts";
import { readUpstream, type UpstreamCodec } from "../sse.ts";
import type { Upstream } from "../types.ts";
import { decodeResponsesJson } from "./decode-json.ts";
import { ResponsesStreamDecoder } from "./decode-stream.ts";
import { encodeResponsesRequest } from "./encode-request.ts";

export { ResponsesStreamDecoder } from "./decode-stream.ts";
export { decodeResponsesJson } from "./decode-json.ts";
export { encodeInput, encodeResponsesRequest } from "./encode-request.ts";
export type { EncodeResponsesRequestOptions, ResponsesInputItem, ResponsesRequestBody } from "./encode-request.ts";

/** How Responses API answers are read (see `sse.ts`): events until the terminal one, or a response object. */
export const responsesCodec: UpstreamCodec = {
  stream: (newId) => new ResponsesStreamDecoder(newId),
  json: decodeResponsesJson,
  noun: "response",
};

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
 * for await (const batch of upstream.stream(input, { signal })) for (const event of batch) console.log(event.type);
 */
export function createResponsesUpstream(config: HermesConfig["upstream"]): Upstream {
  const { baseURL } = config;
  if (baseURL === undefined) throw new Error("The responses upstream needs upstream.baseURL");
  const http = createUpstreamHttp({ ...config, baseURL });

  return {
    kind: "responses",
    baseURL,
    stream: (input, options): AsyncIterable<HermesEvent[]> =>
      readUpstream(
        async () => ({
          response: await http.request({
            method: "POST",
            path: "/responses",
            body: encodeResponsesRequest(input, { stream: options.stream !== false }),
            ...(options.stream === false ? { headersTimeoutMs: config.generationTimeoutMs } : { accept: "text/event-stream" }),
            signal: options.signal,
            headers: requestHeaders(options.requestId),
          }),
          json: options.stream === false,
        }),
        responsesCodec,
        { newId: options.newId ?? randomId, apiKey: config.apiKey, idleTimeoutMs: config.idleTimeoutMs },
      ),
    carriesHostedTools: () => true,
    async forward({ path, body, signal, requestId }) {
      const response = await http.request({ method: "POST", path, body, signal, headers: requestHeaders(requestId) });
      const text = await response.text();
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        throw upstreamError(`The upstream's answer to POST ${path} is not JSON`, error);
      }
    },
    listModels: (signal) => listUpstreamModels(http, signal),
    close: () => http.close(),
  };
}
