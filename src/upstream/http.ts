import type { IncomingHttpHeaders } from "node:http";
import { createRequire } from "node:module";
import type { Readable } from "node:stream";
import type { Dispatcher, Pool } from "undici";
import type { HermesConfig } from "../config/schema.ts";
import { HermesError } from "../protocol/index.ts";
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
 * undici's `Pool` and its `request`, loaded alone. The package's entry point loads every dispatcher,
 * `fetch`, WebSocket, the cache and the mock agents for the one class used here: about 5 MiB of a
 * process that otherwise idles near 80. The package has no exports map, so its files are part of what
 * it publishes; should a release move them, the entry point is used instead.
 */
const { Pool: LightPool, request: poolRequest } = loadPool();

function loadPool(): { Pool: typeof Pool; request: Pool["request"] } {
  const require = createRequire(import.meta.url);
  try {
    const pool = require("undici/lib/dispatcher/pool.js") as typeof Pool;
    return { Pool: pool, request: require("undici/lib/api/api-request.js") as Pool["request"] };
  } catch {
    const { Pool: FullPool } = require("undici") as typeof import("undici");
    return { Pool: FullPool, request: FullPool.prototype.request };
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
      let response;
      try {
        response = await poolRequest.call(pool, { method: init.method, path, headers, body, signal, headersTimeout: timeouts.headersTimeoutMs });
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (attempt < options.maxRetries && isRetryableTransportError(error)) {
          await sleep(backoffMs(attempt, options.retryDelayMs), signal);
          continue;
        }
        throw transportError(error, timeouts);
      }

      const { statusCode, headers: responseHeaders } = response;
      if (statusCode >= 200 && statusCode < 300) {
        return wrapResponse(statusCode, responseHeaders, response.body, signal, timeouts, options.maxResponseBytes);
      }
      const text = await readLimited(response.body, signal);
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
  body: Dispatcher.ResponseData["body"],
  signal: AbortSignal | undefined,
  timeouts: TransportTimeouts,
  maxBytes: number,
): UpstreamResponse {
  const fail = (error: unknown): unknown => (signal?.aborted ? signal.reason : transportError(error, timeouts));
  const declared = Number(first(headers["content-length"]));
  const contentType = (first(headers["content-type"]) ?? "").split(";", 1)[0]!.trim().toLowerCase();
  let listeners: { data: (chunk: Uint8Array) => void; end: () => void; error: (error: unknown) => void } | undefined;
  const unlisten = () => {
    if (listeners === undefined) return;
    body.off("data", listeners.data).off("end", listeners.end).off("error", listeners.error);
    listeners = undefined;
  };
  return {
    status,
    headers,
    contentType,
    read(sink) {
      let received = 0;
      const tooLarge = () => {
        unlisten();
        drop(body);
        sink.error(upstreamResponseTooLarge(maxBytes));
      };
      // Said up front: fail before reading any of it.
      if (declared > maxBytes) return tooLarge();
      listeners = {
        data: (chunk) => {
          received += chunk.byteLength;
          if (received > maxBytes) tooLarge();
          else sink.data(chunk);
        },
        end: () => sink.end(),
        error: (error) => sink.error(fail(error)),
      };
      body.on("data", listeners.data).on("end", listeners.end).on("error", listeners.error);
    },
    pause() {
      body.pause();
    },
    resume() {
      body.resume();
    },
    release() {
      unlisten();
      // undici's own drain: reads up to 128 KiB more and resolves when the body closes, however it does.
      body.dump().catch(() => undefined);
    },
    async text() {
      if (declared > maxBytes) {
        drop(body);
        throw upstreamResponseTooLarge(maxBytes);
      }
      try {
        return await readText(body, maxBytes);
      } catch (error) {
        throw HermesError.is(error) ? error : fail(error);
      }
    },
    cancel() {
      unlisten();
      drop(body);
    },
  };
}

/** Closes a body and its connection; whatever the destroy raises has no reader left. */
function drop(body: Readable): void {
  body.on("error", () => undefined);
  body.destroy();
}

/**
 * A whole body as text, at most `limit` bytes: past it the body is dropped (its connection closed)
 * and the read fails with 502 `upstream_response_too_large`, so a runaway body never fills the memory.
 * The buffers are gathered and decoded once, as undici's own `text()` does (an async iterator and a
 * streaming TextDecoder cost about as much as the JSON parse that follows); a UTF-8 BOM is dropped.
 */
function readText(body: Readable, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const onData = (chunk: Buffer) => {
      bytes += chunk.byteLength;
      if (bytes <= limit) return void chunks.push(chunk);
      body.off("data", onData).off("end", onEnd).off("error", reject);
      chunks.length = 0;
      drop(body);
      reject(upstreamResponseTooLarge(limit));
    };
    const onEnd = () => {
      const buffer = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes);
      const bom = buffer.length >= 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0;
      resolve(buffer.toString("utf8", bom));
    };
    body.on("data", onData).once("end", onEnd).once("error", reject);
  });
}

/** Reads an error body up to a limit; a body that fails to arrive reads as empty (the status says enough). */
async function readLimited(body: Readable, signal: AbortSignal | undefined): Promise<string> {
  let text = "";
  const decoder = new TextDecoder();
  try {
    for await (const chunk of body) {
      text += decoder.decode(chunk as Uint8Array, { stream: true });
      if (text.length > errorBodyLimit) break;
    }
  } catch {
    if (signal?.aborted) throw signal.reason;
  }
  return text;
}

/** The `Retry-After` value to pass on to the client, in whole seconds. */
function retryAfterHeader(headers: IncomingHttpHeaders, waitMs: number | undefined): string | undefined {
  const raw = first(headers["retry-after"]);
  if (raw !== undefined && raw.trim() !== "") return raw.trim();
  return waitMs === undefined ? undefined : String(Math.ceil(waitMs / 1000));
}
