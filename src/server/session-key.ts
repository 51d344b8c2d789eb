import type { H3Event } from "h3";
import { HermesError } from "../protocol/index.ts";
import { responseHeaderSetter } from "./middleware/response-headers.ts";

export const SESSION_KEY_HEADER = "x-hermes-session-key";

/**
 * The `X-Hermes-Session-Key` a request sends, or undefined: the client's long-term scope (the
 * original server hands it to its memory providers; here, tools and hooks get it as `sessionKey`),
 * independent of the session id. As on the original: it needs an API key (it names what tools
 * remember, which no anonymous caller may pick), is trimmed, at most 256 characters, without control
 * characters, and echoed on the answer.
 */
export function requestedSessionKey(event: H3Event, apiKeyConfigured: boolean): string | undefined {
  const value = event.req.headers.get(SESSION_KEY_HEADER);
  if (value === null) return undefined;
  if (!apiKeyConfigured)
    throw new HermesError("X-Hermes-Session-Key requires an API key: set server.apiKey (HERMES_API_KEY)", {
      status: 403,
      code: "session_requires_api_key",
      param: "X-Hermes-Session-Key",
    });
  const key = value.trim();
  // oxlint-disable-next-line no-control-regex -- control characters are exactly what this refuses
  if (key === "" || key.length > 256 || /[\u0000-\u001f\u007f]/.test(key))
    throw new HermesError("X-Hermes-Session-Key must be 1-256 characters without control characters", {
      status: 400,
      code: "invalid_session_key",
      param: "X-Hermes-Session-Key",
    });
  responseHeaderSetter(event)(SESSION_KEY_HEADER, key);
  return key;
}
