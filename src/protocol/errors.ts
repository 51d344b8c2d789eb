/** The OpenAI error `type` values hermes-proxy answers with. */
export type HermesErrorType = "invalid_request_error" | "authentication_error" | "permission_error" | "not_found_error" | "rate_limit_error" | "server_error";

/** What an error looks like once it leaves the process: the fields of the OpenAI error envelope. */
export interface HermesErrorInfo {
  message: string;
  type: HermesErrorType;
  /** A stable, machine-readable code such as `invalid_api_key` or `upstream_error`. */
  code: string | null;
  /** The request field at fault, as a path like `messages[2].content`. */
  param: string | null;
  /** The HTTP status it maps to. */
  status: number;
  /** Response headers that go with the status, such as an upstream's `Retry-After` on a 429. */
  headers?: Record<string, string>;
}

export interface HermesErrorOptions {
  status?: number;
  type?: HermesErrorType;
  code?: string | null;
  param?: string | null;
  /** Extra response headers, such as `Retry-After`. */
  headers?: Record<string, string>;
  cause?: unknown;
}

const brand = Symbol.for("hermes.error");

/**
 * The one error class of hermes-proxy: routes, codecs, upstreams, tools and plugins throw it, and the
 * server turns it into the OpenAI envelope `{"error": {"message", "type", "param", "code"}}`.
 * Recognised by a brand rather than `instanceof`, so copies from two installs still match.
 *
 * @example
 * throw new HermesError("'messages' must not be empty", { status: 400, code: "invalid_messages", param: "messages" });
 */
export class HermesError extends Error {
  readonly status: number;
  readonly type: HermesErrorType;
  readonly code: string | null;
  readonly param: string | null;
  readonly headers: Record<string, string> | undefined;
  readonly [brand] = true;

  constructor(message: string, options: HermesErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = "HermesError";
    this.status = options.status ?? 500;
    this.type = options.type ?? defaultType(this.status);
    this.code = options.code ?? null;
    this.param = options.param ?? null;
    this.headers = options.headers;
  }

  static is(value: unknown): value is HermesError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }

  toInfo(): HermesErrorInfo {
    const info: HermesErrorInfo = { message: this.message, type: this.type, code: this.code, param: this.param, status: this.status };
    // Kept through `run.failed`, so a route that answers a failed run with a status still passes them on.
    if (this.headers) info.headers = this.headers;
    return info;
  }
}

function defaultType(status: number): HermesErrorType {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

/** Any thrown value as error info; what is not a HermesError is an internal error and says nothing more. */
export function toErrorInfo(error: unknown): HermesErrorInfo {
  if (HermesError.is(error)) return error.toInfo();
  return { message: "Internal server error", type: "server_error", code: "internal_error", param: null, status: 500 };
}
