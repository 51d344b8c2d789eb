import { getRouterParam, type H3Event } from "h3";
import { HermesError } from "../../../protocol/index.ts";
import { decodeSessionId } from "../../../wire/sessions/index.ts";

/**
 * The `{id}` of an `/api/sessions/{id}…` path, decoded exactly once and validated (400
 * `invalid_session_id`). Decoded here rather than by h3, which keeps `%2F` encoded: an id that holds
 * a `/` (any `X-Hermes-Session-Id` may) is addressed as `%2F` and must still name its session.
 */
export function sessionIdParam(event: H3Event): string {
  const raw = getRouterParam(event, "id") ?? "";
  let id: string;
  try {
    id = decodeURIComponent(raw);
  } catch {
    throw new HermesError("Invalid session id: malformed percent-encoding", { status: 400, code: "invalid_session_id", param: "id" });
  }
  return decodeSessionId(id);
}
