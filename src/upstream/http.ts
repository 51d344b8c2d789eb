import type { IncomingHttpHeaders } from "node:http";
import { createRequire } from "node:module";
import type { Pool } from "undici";
import type { HermesConfig } from "../config/schema.ts";
import { HermesError } from "../protocol/index.ts";
import { Exchange } from "./exchange.ts";
import { isRetryableTransportError, parseErrorBody, statusError, transportError, upstreamError, upstreamResponseTooLarge } from "./http-errors.ts";
import type { TransportTimeouts } from "./http-errors.ts";
import { backoffMs, first, isRetryableStatus, maxRetryAfterMs, retryAfterMs, sleep } from "./retry.ts";

/**
 * The HTTP hop shared by the chat and responses upstreams: one keep-alive undici `Pool` per upstream
 * origin (not `fetch`, which costs about five times the CPU per call), timeouts, retries before the
 * first byte, abort, and error mapping done once (see `http-errors.ts`).
 *
 * Failures reject with a HermesError; an abort rejects with the signal's reason, as `fetch` does, so
 * that callers can tell "the client went away" from "the upstream failed".
 */

/** The upstream settings the transport reads; `baseURL` is required here. */
export type UpstreamHttpOptions = Pick<
  HermesConfig["upstream"],
  "apiKey" | "connectTimeoutMs" | "headersTimeoutMs" | "idleTimeoutMs" | "maxRetries" | "retryDelayMs" | "maxResponseBytes"
> & {
  baseURL: string;
  /** Sent with every request, after the defaults (so they may replace `authorization`). */
  headers?: Readonly<Record<string, string>> | undefined;
};

export interface UpstreamRequest {
  method: "GET" | "POST";
  /** Path below the base URL, such as `/chat/completions`. */
  path: string;
  /** Sent as JSON. */
  body?: unknown;
  /** @default "application/json" */
  accept?: string;
  signal?: AbortSignal;
  /** Extra headers for this request alone, such as `x-request-id`. */
  headers?: Readonly<Record<string, string>> | undefined;
  /** Time to the response headers for this request alone. @default the upstream's `headersTimeoutMs` */
  headersTimeoutMs?: number | undefined;
}

/**
 * What reads a streamed body: told of each network read as it arrives, synchronously (the transport
 * adds no async hand-over of its own), then of the body's end or its failure.
 */
export interface BodySink {
  data(chunk: Uint8Array): void;
  end(): void;
  /** A HermesError (idle timeout, reset, truncation), or the signal's reason on abort. */
  error(error: unknown): void;
}

/** A 2xx answer whose body has not been read yet. */
export interface UpstreamResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The media type, lower-cased and without parameters, such as `text/event-stream`. */
  readonly contentType: string;
  /**
   * Starts delivering the body to `sink`, one `data` call per network read. A body that runs past
   * `maxResponseBytes` in all is closed and ends in `error` (502 `upstream_response_too_large`).
   */
  read(sink: BodySink): void;
  /** Holds the body back (no `data` until `resume`): the reader's consumer is busy. */
  pause(): void;
  resume(): void;
  /**
   * The reader needs no more of the body (the answer is whole) but the upstream has not ended it: the
   * rest is read and dropped in the background, so that the connection goes back to the pool once the
   * upstream ends the body, and is closed if it does not within the idle timeout. `sink` hears nothing more.
   */
  release(): void;
  /** The whole body as text, with the same error mapping and the same bound. */
  text(): Promise<string>;
  /** Drops the body and closes the connection; for callers that stop before the end. */
  cancel(): void;
}

export interface UpstreamHttp {
  readonly baseURL: string;
  /** Sends a request, retrying 408/409/429/5xx and connection failures; resolves on a 2xx only. */
  request(request: UpstreamRequest): Promise<UpstreamResponse>;
  /** Closes every connection, ending requests still in flight. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * undici's `Pool`, loaded alone. The package's entry point loads every dispatcher, `fetch`, WebSocket,
 * the cache and the mock agents for the one class used here: about 5 MiB of a process that otherwise
 * idles near 80. The package has no exports map, so its files are part of what it publishes; should a
 * release move them, the entry point is used instead.
 */
const LightPool = loadPool();

function loadPool(): typeof Pool {
  const require = createRequire(import.meta.url);
  try {
    return require("undici/lib/dispatcher/pool.js") as typeof Pool;
  } catch {
    return (require("undici") as typeof import("undici")).Pool;
  }
}

/** Error bodies beyond this are cut: they only feed an error message. */
const errorBodyLimit = 64 * 1024;

/** Creates the transport for one upstream base URL such as `https://api.openai.com/v1`. */
export function createUpstreamHttp(options: UpstreamHttpOptions): UpstreamHttp {
  const url = new URL(options.baseURL);
  const basePath = url.pathname.replace(/\/+$/, "");
  const pool = new LightPool(url.origin, {
    connect: { timeout: options.connectTimeoutMs },
    headersTimeout: options.headersTimeoutMs,
    bodyTimeout: options.idleTimeoutMs,
  });
  const baseTimeouts: TransportTimeouts = options;
  const baseHeaders: Record<string, string> = { "user-agent": "hermes-proxy" };
  if (options.apiKey) baseHeaders.authorization = `Bearer ${options.apiKey}`;
  for (const [name, value] of Object.entries(options.headers ?? {})) baseHeaders[name.toLowerCase()] = value;

  async function request(init: UpstreamRequest): Promise<UpstreamResponse> {
    const { signal } = init;
    const headers: Record<string, string> = { ...baseHeaders, accept: init.accept ?? "application/json", ...init.headers };
    let body: string | undefined;
    if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers["content-type"] = "application/json";
    }
    // Query parameters of the base URL (Azure's `api-version`) ride along on every path.
    const path = basePath + init.path + url.search;
    const timeouts = init.headersTimeoutMs === undefined ? baseTimeouts : { ...baseTimeouts, headersTimeoutMs: init.headersTimeoutMs };

    for (let attempt = 0; ; attempt++) {
      const exchange = new Exchange(signal);
      let response;
      try {
        pool.dispatch({ method: init.method, path, headers, body, headersTimeout: timeouts.headersTimeoutMs }, exchange);
        response = await exchange.headers;
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (attempt < options.maxRetries && isRetryableTransportError(error)) {
          await sleep(backoffMs(attempt, options.retryDelayMs), signal);
          continue;
        }
        throw transportError(error, timeouts);
      }

      const { status: statusCode, headers: responseHeaders } = response;
      if (statusCode >= 200 && statusCode < 300) {
        return wrapResponse(statusCode, responseHeaders, exchange, signal, timeouts, options.maxResponseBytes);
      }
      const text = await readLimited(exchange, signal);
      if (statusCode < 400) {
        throw upstreamError(`The upstream answered with an unexpected HTTP ${statusCode}`);
      }
      const waitMs = retryAfterMs(responseHeaders);
      if (
        attempt < options.maxRetries &&
        isRetryableStatus(statusCode) &&
        (waitMs === undefined || waitMs <= maxRetryAfterMs) &&
        // An exhausted quota is a 429 that no amount of waiting fixes.
        parseErrorBody(text).code !== "insufficient_quota"
      ) {
        await sleep(waitMs ?? backoffMs(attempt, options.retryDelayMs), signal);
        continue;
      }
      throw statusError(statusCode, text, retryAfterHeader(responseHeaders, waitMs), options.apiKey);
    }
  }

  let closed: Promise<void> | undefined;
  return {
    baseURL: options.baseURL,
    request,
    // Destroy rather than close: at shutdown a request still running has lost its client anyway,
    // and waiting for it could take a whole headers timeout.
    close: () => (closed ??= pool.destroy()),
  };
}

function wrapResponse(
  status: number,
  headers: IncomingHttpHeaders,
  exchange: Exchange,
  signal: AbortSignal | undefined,
  timeouts: TransportTimeouts,
  maxBytes: number,
): UpstreamResponse {
  const fail = (error: unknown): unknown => (signal?.aborted ? signal.reason : transportError(error, timeouts));
  const declared = Number(first(headers["content-length"]));
  const contentType = (first(headers["content-type"]) ?? "").split(";", 1)[0]!.trim().toLowerCase();
  const cancel = () => discard(exchange);
  return {
    status,
    headers,
    contentType,
    read(sink) {
      // Said up front: fail before reading any of it.
      if (declared > maxBytes) {
        cancel();
        return sink.error(upstreamResponseTooLarge(maxBytes));
      }
      let received = 0;
      exchange.read({
        data(chunk) {
          received += chunk.byteLength;
          if (received <= maxBytes) return sink.data(chunk);
          cancel();
          sink.error(upstreamResponseTooLarge(maxBytes));
        },
        end: () => sink.end(),
        error: (error) => sink.error(fail(error)),
      });
    },
    pause() {
      exchange.pause();
    },
    resume() {
      exchange.resume();
    },
    release() {
      // Read and dropped, as undici's own `dump` does: up to 128 KiB more, then the connection is
      // closed; an upstream that never ends the body is closed by the idle timeout.
      let dropped = 0;
      exchange.read({
        data(chunk) {
          dropped += chunk.byteLength;
          if (dropped > drainLimit) cancel();
        },
        end() {},
        error() {},
      });
      exchange.resume();
    },
    async text() {
      if (declared > maxBytes) {
        cancel();
        throw upstreamResponseTooLarge(maxBytes);
      }
      try {
        return await readText(exchange, maxBytes);
      } catch (error) {
        throw HermesError.is(error) ? error : fail(error);
      }
    },
    cancel,
  };
}

/** What `release` reads of a body nobody needs before it closes the connection instead. */
const drainLimit = 128 * 1024;

/** Closes a body and its connection; nothing of it is heard any more. */
function discard(exchange: Exchange): void {
  exchange.detach();
  exchange.abort(new Error("the body is not needed"));
}

/**
 * A whole body as text, at most `limit` bytes: past it the body is dropped (its connection closed)
 * and the read fails with 502 `upstream_response_too_large`, so a runaway body never fills the memory.
 * The buffers are gathered and decoded once, as undici's own `text()` does (an async iterator and a
 * streaming TextDecoder cost about as much as the JSON parse that follows); a UTF-8 BOM is dropped.
 */
function readText(exchange: Exchange, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    exchange.read({
      data(chunk) {
        bytes += chunk.byteLength;
        if (bytes <= limit) return void chunks.push(chunk);
        chunks.length = 0;
        discard(exchange);
        reject(upstreamResponseTooLarge(limit));
      },
      end() {
        const buffer = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, bytes);
        const bom = buffer.length >= 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0;
        resolve(buffer.toString("utf8", bom));
      },
      error: reject,
    });
  });
}

/** Reads an error body up to a limit; a body that fails to arrive reads as empty (the status says enough). */
function readLimited(exchange: Exchange, signal: AbortSignal | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const decoder = new TextDecoder();
    exchange.read({
      data(chunk) {
        text += decoder.decode(chunk, { stream: true });
        if (text.length <= errorBodyLimit) return;
        discard(exchange);
        resolve(text);
      },
      end: () => resolve(text),
      error: () => (signal?.aborted ? reject(signal.reason) : resolve(text)),
    });
  });
}

/** The `Retry-After` value to pass on to the client, in whole seconds. */
function retryAfterHeader(headers: IncomingHttpHeaders, waitMs: number | undefined): string | undefined {
  const raw = first(headers["retry-after"]);
  if (raw !== undefined && raw.trim() !== "") return raw.trim();
  return waitMs === undefined ? undefined : String(Math.ceil(waitMs / 1000));
}
