import type { HermesErrorInfo } from "../protocol/errors.ts";
import type { FinishReason } from "../protocol/events.ts";
import type { Usage } from "../protocol/usage.ts";

/**
 * What the observation hooks see (`onRequestStart`, `onUpstreamStart`, `onToolCall`, …; see
 * `PluginHooks`): plain data about requests, upstream calls, tool calls and storage operations, so that
 * metrics, traces and logs are built from one description of what happened. Never message contents
 * and never credentials: headers are handed over for trace context only.
 */

/**
 * One HTTP request to the proxy.
 *
 * @example
 * onRequestStart(request: RequestInfo) { spans.set(request.id, tracer.startSpan(`${request.method} ${request.route}`)); }
 */
export interface RequestInfo {
  /** The client's `X-Request-Id` when it sent a sane one, else a generated `req_…`; echoed back and sent upstream. */
  readonly id: string;
  readonly method: string;
  /** The route pattern that matched, such as `/v1/responses/:id`; `unmatched` when none did. */
  readonly route: string;
  /** `chat`, `responses` or `runs` on those APIs' routes; undefined elsewhere. */
  readonly format: string | undefined;
  /** The request's headers, for trace context (`traceparent`); they include the client's credentials, so never record them whole. */
  readonly headers: Headers;
  /** Epoch ms. */
  readonly startedAt: number;
}

/** How a request ended, as `onRequestEnd` gets it. */
export interface RequestSummary {
  status: number;
  durationMs: number;
  /** Until the response started: its headers and, for a stream, its first output. */
  firstByteMs: number | undefined;
  /** The model name the client asked for (and got back), once the request reached an upstream. */
  model: string | undefined;
  /** The configured upstream that answered last (`default` for the single `upstream` block). */
  upstream: string | undefined;
  /** Tokens summed over the request's upstream calls. */
  usage: Usage | undefined;
  /** The error's stable code when the request failed, a stream ended in an error, or the client went away (`client_closed`). */
  errorCode: string | undefined;
  /** The request field a 4xx names (OpenAI's `param`, such as `tools[4].type`), when it names one. */
  errorParam?: string | undefined;
  /** The response was an event stream. */
  streamed: boolean;
}

/**
 * One call to an upstream model API: one agent step, or one attempt of it when a route falls back.
 *
 * @example
 * onUpstreamStart(call: UpstreamCall) { console.log(`${call.upstream} ${call.model} attempt ${call.attempt}`); }
 */
export interface UpstreamCall {
  /** The configured upstream's name: a key of `upstreams`, or `default` for the single `upstream` block. */
  readonly upstream: string;
  /** The API it speaks: `chat`, `responses` or `echo`. */
  readonly api: string;
  /** The model sent upstream. */
  readonly model: string;
  /** Scheme, host and port of the upstream; never a path, a query or a credential. */
  readonly origin: string | undefined;
  /** 0 for the route's first choice, 1 and up for its fallbacks. */
  readonly attempt: number;
  /** Epoch ms. */
  readonly startedAt: number;
}

/** How an upstream call ended. */
export interface UpstreamCallResult {
  /** `aborted`: the client went away or the run was stopped. */
  outcome: "ok" | "error" | "aborted";
  durationMs: number;
  /** Until the first event the upstream produced; undefined when it produced none. */
  firstByteMs: number | undefined;
  usage: Usage | undefined;
  finishReason: FinishReason | undefined;
  error: HermesErrorInfo | undefined;
}

/**
 * One server-side tool call, once it is over (`durationMs` after `startedAt`).
 *
 * @example
 * onToolCall(call: ToolCallInfo) { if (call.isError) console.warn(`${call.name} failed after ${call.durationMs} ms`); }
 */
export interface ToolCallInfo {
  readonly name: string;
  readonly callId: string;
  /** Epoch ms. */
  readonly startedAt: number;
  readonly durationMs: number;
  /** The tool threw, timed out, was refused or got invalid arguments. */
  readonly isError: boolean;
}

/**
 * One call into the storage driver, once it is over.
 *
 * @example
 * onStorageOperation(op: StorageOperationInfo) { if (op.durationMs > 100) console.warn(`slow ${op.driver} ${op.operation}`); }
 */
export interface StorageOperationInfo {
  /** The driver's name: `memory`, `fs-lite`, `redis`, … */
  readonly driver: string;
  /** The driver method: `getItem`, `setItem`, `getKeys`, … */
  readonly operation: string;
  /** Epoch ms. */
  readonly startedAt: number;
  readonly durationMs: number;
  readonly failed: boolean;
  /** The request it ran for, when the host tracks request context (only while a plugin has `onStorageOperation`). */
  readonly requestId: string | undefined;
}
