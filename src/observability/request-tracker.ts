import type { ObservationHooks } from "../plugins/observers.ts";
import { addUsage, type Item, textOf, type Usage } from "../protocol/index.ts";
import { type RequestInfo, type RequestSummary, type RunInfo } from "../plugin-api/index.ts";

/** What the request middleware knows when a request arrives. */
export interface RequestStart {
  id: string;
  method: string;
  route: string;
  headers: Headers;
}

/** What the request middleware knows when its response is over. */
export interface RequestEnd {
  status: number;
  firstByteMs: number | undefined;
  durationMs: number;
  streamed: boolean;
  /** The client went away before the response was complete. */
  clientClosed: boolean;
  /** The code of the error the route threw, if it threw one. */
  errorCode: string | undefined;
  /** The request field that error names (`tools[4].type`), if it names one. */
  errorParam?: string | undefined;
}

/** Message text, for the request log's debug contents only. */
export interface RequestContents {
  input: string | undefined;
  output: string | undefined;
}

/** A request in flight and what its upstream calls said so far. */
export interface TrackedRequest {
  readonly info: RequestInfo;
  model: string | undefined;
  upstream: string | undefined;
  usage: Usage | undefined;
  upstreamError: string | undefined;
  contents: RequestContents | undefined;
}

export interface RequestTrackerOptions {
  onRequestStart?: ObservationHooks["onRequestStart"];
  onRequestEnd?: ObservationHooks["onRequestEnd"];
  /** The request log: gets the summary, and the contents when `logs.contents` asked for them. */
  log?: ((request: RequestInfo, summary: RequestSummary, contents: RequestContents | undefined) => void) | undefined;
  /** Keep the last user message and the answer's text for the log (`logs.contents`). */
  contents?: boolean;
}

/** Longest message text kept for the debug log. */
const contentsLimit = 500;

/**
 * Follows each request from arrival to the end of its response and gathers what happened on the way:
 * the model it asked for, the upstream that answered, tokens, the error code. Upstream calls find their
 * request by the run's `requestId` (a Runs API run outlives its request: its calls are counted by the
 * metrics, not here). Built only when something reads request summaries: metrics, a plugin, the log.
 */
export class RequestTracker {
  readonly #active = new Map<string, TrackedRequest>();
  readonly #streams = new Map<string, number>();
  readonly #options: RequestTrackerOptions;
  /** Hooks that feed the tracker from upstream calls; merged with the other observers. */
  readonly hooks: ObservationHooks;

  constructor(options: RequestTrackerOptions) {
    this.#options = options;
    this.hooks = {
      onUpstreamStart: (call, run) => {
        const tracked = this.#find(run);
        if (!tracked) return;
        tracked.model = run.model;
        if (tracked.contents && tracked.contents.input === undefined) tracked.contents.input = lastUserText(run.input.items);
      },
      onUpstreamEnd: (call, result, run) => {
        const tracked = this.#find(run);
        if (!tracked) return;
        tracked.upstream = call.upstream;
        if (result.usage) tracked.usage = tracked.usage ? addUsage(tracked.usage, result.usage) : result.usage;
        // The last call decides: a failed attempt that a fallback made good is not the request's error.
        tracked.upstreamError = result.outcome === "error" ? (result.error?.code ?? "upstream_error") : undefined;
      },
    };
  }

  /** A request arrived. */
  begin(start: RequestStart): TrackedRequest {
    const info: RequestInfo = {
      id: start.id,
      method: start.method,
      route: start.route,
      format: formatOf(start.route),
      headers: start.headers,
      startedAt: Date.now(),
    };
    const tracked: TrackedRequest = {
      info,
      model: undefined,
      upstream: undefined,
      usage: undefined,
      upstreamError: undefined,
      contents: this.#options.contents ? { input: undefined, output: undefined } : undefined,
    };
    this.#active.set(start.id, tracked);
    this.#options.onRequestStart?.(info);
    return tracked;
  }

  /** Its response turned out to be an event stream: it counts as in flight until `end`. */
  streamStarted(tracked: TrackedRequest): void {
    const format = tracked.info.format ?? "none";
    this.#streams.set(format, (this.#streams.get(format) ?? 0) + 1);
  }

  /** Its response is over. */
  end(tracked: TrackedRequest, end: RequestEnd): void {
    if (this.#active.get(tracked.info.id) === tracked) this.#active.delete(tracked.info.id);
    if (end.streamed) {
      const format = tracked.info.format ?? "none";
      this.#streams.set(format, (this.#streams.get(format) ?? 1) - 1);
    }
    const summary: RequestSummary = {
      status: end.status,
      durationMs: end.durationMs,
      firstByteMs: end.firstByteMs,
      model: tracked.model,
      upstream: tracked.upstream,
      usage: tracked.usage,
      errorCode: end.errorCode ?? tracked.upstreamError ?? (end.clientClosed ? "client_closed" : undefined),
      streamed: end.streamed,
    };
    if (end.errorParam !== undefined) summary.errorParam = end.errorParam;
    this.#options.onRequestEnd?.(tracked.info, summary);
    this.#options.log?.(tracked.info, summary, tracked.contents);
  }

  /** Event streams open now, by format. */
  streamsInFlight(): ReadonlyMap<string, number> {
    return this.#streams;
  }

  /** For the debug log: an answer's text, appended to its request's. */
  outputText(run: RunInfo, text: string): void {
    const tracked = this.#find(run);
    if (!tracked?.contents) return;
    tracked.contents.output = clip(tracked.contents.output === undefined ? text : `${tracked.contents.output}\n${text}`);
  }

  #find(run: RunInfo): TrackedRequest | undefined {
    return run.requestId === undefined ? undefined : this.#active.get(run.requestId);
  }
}

/** The wire format a route serves: how metrics and logs group requests. */
export function formatOf(route: string): string | undefined {
  if (route === "/v1/chat/completions") return "chat";
  if (route.startsWith("/v1/responses")) return "responses";
  if (route.startsWith("/v1/runs")) return "runs";
  return undefined;
}

function lastUserText(items: readonly Item[]): string | undefined {
  for (let index = items.length - 1; index >= 0; index--) {
    const item = items[index];
    if (item?.type === "message" && item.role === "user") return clip(textOf(item.content));
  }
  return undefined;
}

function clip(text: string): string {
  return text.length > contentsLimit ? `${text.slice(0, contentsLimit)}…` : text;
}
