import type { H3Event } from "h3";
import { getRouterParam } from "h3";
import { HermesError } from "../../../protocol/index.ts";
import { cancelLocal, cancelRemote } from "../../../runtime/background-cancel.ts";
import type { StoredResponse } from "../../../state/responses.ts";
import { expandResponse, inputItemsQuerySchema, itemToWire, retrieveResponseQuerySchema } from "../../../wire/responses/index.ts";
import type { ServerContext } from "../../context.ts";
import { validatedQuery } from "../../query.ts";
import { sseResponse } from "../../sse-response.ts";

const notFound = (id: string) => new HermesError(`Response not found: ${id}`, { status: 404, code: "response_not_found", param: "response_id" });

async function stored(context: ServerContext, event: H3Event): Promise<StoredResponse> {
  const id = getRouterParam(event, "id") ?? "";
  const record = await context.responses.get(id);
  if (!record) throw notFound(id);
  return record;
}

/** `GET /v1/responses/{id}`: the stored snapshot; with `?stream=true` a background response's event stream. */
export function createRetrieveResponseHandler(context: ServerContext) {
  return async (event: H3Event) => {
    const record = await stored(context, event);
    const query = await validatedQuery(event, retrieveResponseQuerySchema);
    if (!query.stream) return expandResponse(record.response);
    const running = context.background.get(record.response.id);
    if (!running)
      throw new HermesError("Only background responses can be streamed again, and only from the instance running them", {
        status: 400,
        code: "stream_unavailable",
        param: "stream",
      });
    const after = query.starting_after ?? -1;
    return sseResponse({ source: context.background.replay(running, after), frame: (text: string) => text, keepaliveMs: context.config.server.keepaliveMs });
  };
}

/** `DELETE /v1/responses/{id}`: removes it (a conversation keeps the items the turn added to it, as on OpenAI). */
export function createDeleteResponseHandler(context: ServerContext) {
  return async (event: H3Event) => {
    const record = await stored(context, event);
    const id = record.response.id;
    await context.responses.remove(id);
    return { id, object: "response", deleted: true };
  };
}

/**
 * `POST /v1/responses/{id}/cancel`: stops a background response; it settles as `cancelled`. One
 * running on another process sharing the storage is cancelled there; one whose process is gone is
 * marked cancelled here.
 */
export function createCancelResponseHandler(context: ServerContext) {
  return async (event: H3Event) => {
    const record = await stored(context, event);
    const id = record.response.id;
    if (!(await cancelLocal(context, id))) await cancelRemote(context, record);
    const settled = (await context.responses.get(id)) ?? record;
    return expandResponse(settled.response);
  };
}

/** `GET /v1/responses/{id}/input_items`: the turn's own input, as the list object with `after`, `limit`, `order`. */
export function createInputItemsHandler(context: ServerContext) {
  return async (event: H3Event) => {
    const record = await stored(context, event);
    const { limit, order, after } = await validatedQuery(event, inputItemsQuerySchema);
    let items = record.input.map(itemToWire);
    if (order === "desc") items = items.reverse();
    if (after !== undefined) {
      const index = items.findIndex((item) => item.id === after);
      if (index === -1) throw new HermesError(`Item not found: ${after}`, { status: 400, code: "invalid_request", param: "after" });
      items = items.slice(index + 1);
    }
    const data = items.slice(0, limit);
    return { object: "list", data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: items.length > limit };
  };
}
