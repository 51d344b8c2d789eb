import { type H3Event, HTTPError, HTTPResponse } from "h3";
import { HermesError, type HermesErrorInfo, toErrorInfo } from "../protocol/index.ts";
import { logger } from "../utils/logger.ts";

/** The OpenAI error envelope. This file is the only place that writes it. */
export function errorEnvelope(info: Pick<HermesErrorInfo, "message" | "type" | "code" | "param">) {
  return { error: { message: info.message, type: info.type, param: info.param, code: info.code } };
}

const jsonHeaders = { "content-type": "application/json; charset=utf-8" };
const closingJsonHeaders = { ...jsonHeaders, connection: "close" };

/**
 * Any thrown value as an HTTP response carrying the envelope: h3's own errors keep their status.
 *
 * An error answered before the request's body is all in (a 401 from the auth middleware, a 405, a 413)
 * closes the connection after it: kept alive, Node would read and drop the rest of the body first,
 * and a client trickling it could hold the socket until the request timeout. Such an error can be
 * thrown while Node's parser is still inside the read that holds the rest of a small body, so the
 * answer waits for that read to be parsed (one `setImmediate`) before it decides: a whole request
 * keeps its keep-alive connection.
 */
export function errorResponse(error: unknown, event: H3Event): HTTPResponse | Promise<HTTPResponse> {
  const request = event.runtime?.node?.req;
  if (request === undefined || request.complete) return envelopeResponse(error, event, jsonHeaders);
  return new Promise((resolve) => setImmediate(() => resolve(envelopeResponse(error, event, request.complete ? jsonHeaders : closingJsonHeaders))));
}

function envelopeResponse(error: unknown, event: H3Event, headers: Record<string, string>): HTTPResponse {
  const hermes = HermesError.is(error) ? error : HermesError.is((error as HTTPError)?.cause) ? ((error as HTTPError).cause as HermesError) : null;
  if (hermes) {
    return new HTTPResponse(JSON.stringify(errorEnvelope(hermes)), {
      status: hermes.status,
      headers: hermes.headers ? { ...headers, ...hermes.headers } : headers,
    });
  }
  if (HTTPError.isError(error) && !error.unhandled) {
    const info = fromHTTPError(error, event);
    return new HTTPResponse(JSON.stringify(errorEnvelope(info)), { status: info.status, headers });
  }
  const cause = HTTPError.isError(error) ? (error.cause ?? error) : error;
  logger.error("internal error:", cause);
  const info = toErrorInfo(cause);
  return new HTTPResponse(JSON.stringify(errorEnvelope(info)), { status: info.status, headers });
}

function fromHTTPError(error: HTTPError, event: H3Event): HermesErrorInfo {
  const status = error.status;
  if (status === 404)
    return { message: `No route for ${event.req.method} ${event.url.pathname}`, type: "not_found_error", code: "not_found", param: null, status };
  if (status === 413) return { message: "Request body too large", type: "invalid_request_error", code: "body_too_large", param: null, status };
  return { message: error.message, type: status >= 500 ? "server_error" : "invalid_request_error", code: `http_${status}`, param: null, status };
}
