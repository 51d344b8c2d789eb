import { HermesError } from "../protocol/index.ts";
import type { HermesErrorType } from "../protocol/index.ts";

/**
 * The one place upstream failures become HermesErrors:
 *
 * - upstream 401/403: 502 `upstream_auth_failed` (the proxy's upstream key is at fault, not the client's);
 * - other upstream 4xx (except 429): same status, the upstream's message, `code` and `param`;
 * - 429 after retries: 429 `rate_limit_exceeded` (or the upstream's code, such as `insufficient_quota`),
 *   with `Retry-After` passed on;
 * - 5xx after retries, resets, refused connections, bad streams: 502 `upstream_error`;
 * - a body past `upstream.maxResponseBytes`: 502 `upstream_response_too_large`;
 * - connect, headers and idle timeouts: 504 `upstream_timeout`, so a client can tell "slow" from "broken".
 *
 * The upstream API key is scrubbed from every message: some upstreams echo the key they rejected.
 */

const hermesTypes = new Set<string>(["invalid_request_error", "authentication_error", "permission_error", "not_found_error", "rate_limit_error"]);

/** The fields of an upstream error body, whichever common envelope it used. */
export interface UpstreamErrorBody {
  message?: string;
  type?: string;
  code?: string;
  param?: string;
}

/**
 * Reads an error body: the OpenAI envelope `{error: {message, type, code, param}}`, `{error: "text"}`,
 * vLLM's flat `{message, type, code}` or FastAPI's `{detail}`.
 */
export function parseErrorBody(text: string): UpstreamErrorBody {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Plain-text bodies are kept only when short and not HTML: a proxy's error page helps nobody.
    const trimmed = text.trim();
    return trimmed && trimmed.length <= 200 && !trimmed.startsWith("<") ? { message: trimmed } : {};
  }
  if (typeof json !== "object" || json === null) return {};
  const root = json as Record<string, unknown>;
  const error = root.error;
  if (typeof error === "string") return { message: error };
  const fields = typeof error === "object" && error !== null ? (error as Record<string, unknown>) : root;
  const message = stringOr(fields.message) ?? stringOr(root.detail);
  return {
    ...(message !== undefined && { message }),
    ...(stringOr(fields.type) !== undefined && { type: stringOr(fields.type) }),
    ...(stringOr(fields.code) !== undefined && { code: stringOr(fields.code) }),
    ...(stringOr(fields.param) !== undefined && { param: stringOr(fields.param) }),
  };
}

function stringOr(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Removes the upstream API key from a message, should the upstream have echoed it. */
export function scrub(message: string, apiKey: string | undefined): string {
  return apiKey ? message.replaceAll(apiKey, "***") : message;
}

/**
 * An error built from upstream text (a mid-stream error event, a 200 carrying an error envelope)
 * with the upstream API key removed from every field a client sees; anything else as it is.
 */
export function scrubError(error: unknown, apiKey: string | undefined): unknown {
  if (!apiKey || !HermesError.is(error)) return error;
  const { message, code, param } = error;
  if (!message.includes(apiKey) && !code?.includes(apiKey) && !param?.includes(apiKey)) return error;
  return new HermesError(scrub(message, apiKey), {
    status: error.status,
    type: error.type,
    code: code === null ? null : scrub(code, apiKey),
    param: param === null ? null : scrub(param, apiKey),
    ...(error.headers && { headers: error.headers }),
    cause: error.cause,
  });
}

/** A non-2xx answer that retries did not cure (or that is not worth retrying). */
export function statusError(status: number, bodyText: string, retryAfter: string | undefined, apiKey: string | undefined): HermesError {
  const parsed = parseErrorBody(bodyText);
  // Every field is passed on to the client, so every field loses the key an upstream may echo.
  const body: UpstreamErrorBody = Object.fromEntries(Object.entries(parsed).map(([field, value]) => [field, scrub(value, apiKey)]));
  const message = body.message;
  if (status === 429) {
    return new HermesError(message ?? "The upstream rate limit was exceeded", {
      status: 429,
      type: "rate_limit_error",
      code: body.code ?? "rate_limit_exceeded",
      ...(retryAfter !== undefined && { headers: { "Retry-After": retryAfter } }),
    });
  }
  if (status === 401 || status === 403) {
    // The client's own key was fine (auth passed here): a 401 passed on would send them checking the wrong key.
    return new HermesError(`The upstream refused the proxy's credentials (HTTP ${status}); check upstream.apiKey (HERMES_UPSTREAM_KEY)`, {
      status: 502,
      code: "upstream_auth_failed",
    });
  }
  if (status >= 400 && status < 500) {
    return new HermesError(message ?? `The upstream rejected the request (HTTP ${status})`, {
      status,
      ...(body.type !== undefined && hermesTypes.has(body.type) && { type: body.type as HermesErrorType }),
      code: body.code ?? "upstream_rejected",
      param: body.param ?? null,
    });
  }
  const detail = message === undefined ? "" : `: ${message}`;
  return upstreamError(`The upstream failed (HTTP ${status})${detail}`);
}

/** A 502 `upstream_error`: the upstream broke its side of the protocol or could not be used. */
export function upstreamError(message: string, cause?: unknown): HermesError {
  return new HermesError(message, { status: 502, code: "upstream_error", cause });
}

/**
 * A 502 `upstream_response_too_large`: the body ran past `upstream.maxResponseBytes`. A bound, not a
 * guess: a model answer never comes near it, and an upstream that sends more would fill the memory.
 */
export function upstreamResponseTooLarge(limit: number): HermesError {
  return new HermesError(`The upstream's response exceeded ${limit} bytes (upstream.maxResponseBytes)`, {
    status: 502,
    code: "upstream_response_too_large",
  });
}

/** A 504 `upstream_timeout`. */
export function upstreamTimeout(message: string, cause?: unknown): HermesError {
  return new HermesError(message, { status: 504, code: "upstream_timeout", cause });
}

export interface TransportTimeouts {
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  idleTimeoutMs: number;
}

/**
 * Maps a thrown transport error (undici or the OS) to a HermesError. undici's message goes into
 * `cause`, never into the client-facing message: it can name internal addresses.
 */
export function transportError(error: unknown, timeouts: TransportTimeouts): HermesError {
  if (HermesError.is(error)) return error;
  const code = errorCode(error);
  switch (code) {
    case "UND_ERR_CONNECT_TIMEOUT":
      return upstreamTimeout(`The upstream did not accept a connection within ${timeouts.connectTimeoutMs} ms`, error);
    case "UND_ERR_HEADERS_TIMEOUT":
      return upstreamTimeout(`The upstream did not answer within ${timeouts.headersTimeoutMs} ms`, error);
    case "UND_ERR_BODY_TIMEOUT":
      return upstreamTimeout(`The upstream went silent for more than ${timeouts.idleTimeoutMs} ms mid-response`, error);
    case "UND_ERR_SOCKET":
    case "ECONNRESET":
    case "EPIPE":
      return upstreamError("The upstream closed the connection before the response was complete", error);
    case "ECONNREFUSED":
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "ETIMEDOUT":
      return upstreamError(`Could not reach the upstream (${code})`, error);
    default:
      return upstreamError("The upstream request failed", error);
  }
}

const retryableCodes = new Set([
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_SOCKET",
  "ECONNRESET",
  "EPIPE",
  "ECONNREFUSED",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
]);

/**
 * Errors worth retrying before the first byte: the request most likely never reached the model.
 * A headers timeout is not among them: the upstream may still be working on the request, and a retry
 * would multiply an already long wait.
 */
export function isRetryableTransportError(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && retryableCodes.has(code);
}

function errorCode(error: unknown): string | undefined {
  // undici wraps OS errors (`fetch failed`-style) in `cause`; look one level down too.
  for (let value = error, depth = 0; depth < 3 && typeof value === "object" && value !== null; depth++) {
    const code = (value as { code?: unknown }).code;
    if (typeof code === "string") return code;
    value = (value as { cause?: unknown }).cause;
  }
  return undefined;
}
