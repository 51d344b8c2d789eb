import type { H3Event } from "h3";
import { forwardResponses } from "../../../runtime/forward-responses.ts";
import type { ForwardRequest } from "../../../upstream/types.ts";
import { decodeForwardedRequest } from "../../../wire/responses/index.ts";
import { readJsonBody } from "../../body.ts";
import { clientOf, type ServerContext } from "../../context.ts";
import { requestIdOf } from "../../request-id.ts";

/**
 * `POST /v1/responses/input_tokens` and `POST /v1/responses/compact`: answered by the upstream's
 * Responses API (a Chat upstream cannot: 400 `unsupported_by_upstream`, saying so; a 4xx, as the request can only succeed against another configuration), its answer
 * passed back as it is.
 */
export function createForwardedResponsesHandler(context: ServerContext, path: ForwardRequest["path"]) {
  return async (event: H3Event) => {
    const { json } = await readJsonBody(event, context.config.server.bodyLimit);
    const request = decodeForwardedRequest(json);
    // The upstream call stops when the client goes away.
    const controller = new AbortController();
    const unwatch = clientOf(event)((reason) => controller.abort(reason));
    try {
      return await forwardResponses(context, path, request, { signal: controller.signal, requestId: requestIdOf(event) });
    } finally {
      unwatch();
    }
  };
}
