import { getRouterParam, type H3Event } from "h3";
import { HermesError } from "../../../protocol/index.ts";

/**
 * A path parameter of `/v1/conversations/{conversation_id}/items/{item_id}`, decoded exactly once
 * (h3 keeps `%2F` encoded: a conversation named with a `/` is addressed as `%2F`). 400 when malformed.
 */
export function pathParam(event: H3Event, name: "conversation_id" | "item_id"): string {
  const raw = getRouterParam(event, name) ?? "";
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HermesError(`Invalid ${name}: malformed percent-encoding`, { status: 400, code: "invalid_request", param: name });
  }
}
