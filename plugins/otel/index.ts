import {
  type Attributes,
  type Context,
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  trace,
  type Tracer,
  type TracerProvider,
} from "@opentelemetry/api";
import { definePlugin, type HermesPlugin, type RequestInfo, type RunInfo, type StorageOperationInfo, type UpstreamCall } from "../../sdk/index.ts";
import { providerName } from "./provider.ts";
import { RecentMap } from "./recent.ts";

export interface OtelOptions {
  /** Where spans go. @default the global provider, as the application's OpenTelemetry SDK registered it */
  tracerProvider?: TracerProvider;
  /** Continue the client's trace when it sends `traceparent` (with the propagator the SDK registered). @default true */
  propagate?: boolean;
  /** A span for every storage operation a request makes. @default true */
  storageSpans?: boolean;
  /** Spans for `/health`, `/v1/health` and `/metrics` too (probes and scrapers call them all the time). @default false */
  traceProbes?: boolean;
}

/** Request spans kept after their request ended, for the detached work it started. */
const recentRequests = 1_000;
const probeRoutes = new Set(["/health", "/v1/health", "/metrics"]);
const headersGetter: TextMapGetter<Headers> = {
  get: (carrier, key) => carrier.get(key) ?? undefined,
  keys: (carrier) => [...carrier.keys()],
};

/**
 * `otel`: OpenTelemetry traces, through `@opentelemetry/api` only, so the application chooses the SDK
 * and the exporter. A server span per request (`POST /v1/chat/completions`), with a client span per
 * upstream call (`chat gpt-4.1`; one per fallback attempt), a span per server-side tool call
 * (`execute_tool get_current_time`) and per storage operation, named and labelled after the GenAI
 * semantic conventions (`gen_ai.operation.name`, `gen_ai.system`, `gen_ai.request.model`,
 * `gen_ai.usage.input_tokens`, …). No message content is recorded. Without this plugin the proxy
 * makes no span and pays nothing.
 *
 * @example
 * // hermes.config.ts, with an OpenTelemetry SDK started before it (e.g. `node --import ./otel-setup.mjs`)
 * import otel from "hermes-proxy/plugins/otel";
 * export default defineConfig({ plugins: [otel()] });
 */
export default function otel(options: OtelOptions = {}): HermesPlugin {
  const propagate = options.propagate ?? true;
  const storageSpans = options.storageSpans ?? true;
  // Asked for on first use: the SDK may register its provider after the config file was loaded.
  let tracer: Tracer | undefined;
  const getTracer = () => (tracer ??= (options.tracerProvider ?? trace.getTracerProvider()).getTracer("hermes-proxy"));
  const requests = new RecentMap<string, Context>(recentRequests);
  // By the request object itself: two requests may carry one client-chosen id.
  const spans = new WeakMap<RequestInfo, Span>();
  const calls = new WeakMap<UpstreamCall, Span>();

  const parentOf = (requestId: string | undefined): Context => (requestId === undefined ? undefined : requests.get(requestId)) ?? context.active();
  const traced = (request: RequestInfo) => options.traceProbes === true || !probeRoutes.has(request.route);

  return definePlugin({
    name: "otel",
    hooks: {
      onRequestStart(request) {
        if (!traced(request)) return;
        const parent = propagate ? propagation.extract(context.active(), request.headers, headersGetter) : context.active();
        const attributes: Attributes = { "http.request.method": request.method, "http.route": request.route, "hermes.request_id": request.id };
        if (request.format !== undefined) attributes["hermes.format"] = request.format;
        const span = getTracer().startSpan(`${request.method} ${request.route}`, { kind: SpanKind.SERVER, startTime: request.startedAt, attributes }, parent);
        spans.set(request, span);
        requests.set(request.id, trace.setSpan(parent, span));
      },
      onRequestEnd(request, summary) {
        const span = spans.get(request);
        if (!span) return;
        spans.delete(request);
        span.setAttribute("http.response.status_code", summary.status);
        if (summary.model !== undefined) span.setAttribute("gen_ai.request.model", summary.model);
        if (summary.upstream !== undefined) span.setAttribute("hermes.upstream", summary.upstream);
        if (summary.usage) {
          span.setAttribute("gen_ai.usage.input_tokens", summary.usage.inputTokens);
          span.setAttribute("gen_ai.usage.output_tokens", summary.usage.outputTokens);
        }
        if (summary.errorCode !== undefined) span.setAttribute("error.type", summary.errorCode);
        // HTTP server conventions: a 5xx is the server's error; a 4xx is the client's and leaves the status unset.
        if (summary.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end(request.startedAt + summary.durationMs);
      },
      onUpstreamStart(call, run) {
        const system = providerName(call.origin, call.upstream, call.api);
        const attributes: Attributes = {
          "gen_ai.operation.name": "chat",
          "gen_ai.system": system,
          "gen_ai.provider.name": system,
          "gen_ai.request.model": call.model,
          "hermes.upstream": call.upstream,
          "hermes.upstream.api": call.api,
          "hermes.upstream.attempt": call.attempt,
          "hermes.run_id": run.runId,
          ...samplingAttributes(run),
          ...serverAttributes(call.origin),
        };
        const span = getTracer().startSpan(`chat ${call.model}`, { kind: SpanKind.CLIENT, startTime: call.startedAt, attributes }, parentOf(run.requestId));
        calls.set(call, span);
      },
      onUpstreamEnd(call, result) {
        const span = calls.get(call);
        if (!span) return;
        calls.delete(call);
        if (result.usage) {
          span.setAttribute("gen_ai.usage.input_tokens", result.usage.inputTokens);
          span.setAttribute("gen_ai.usage.output_tokens", result.usage.outputTokens);
        }
        if (result.finishReason !== undefined) span.setAttribute("gen_ai.response.finish_reasons", [result.finishReason]);
        if (result.firstByteMs !== undefined) span.setAttribute("hermes.time_to_first_byte_ms", Math.round(result.firstByteMs));
        if (result.outcome === "error") {
          span.setAttribute("error.type", result.error?.code ?? "upstream_error");
          span.setStatus({ code: SpanStatusCode.ERROR, message: result.error?.message });
        } else if (result.outcome === "aborted") span.setAttribute("error.type", "cancelled");
        span.end(call.startedAt + result.durationMs);
      },
      onToolCall(call, run) {
        const attributes: Attributes = {
          "gen_ai.operation.name": "execute_tool",
          "gen_ai.tool.name": call.name,
          "gen_ai.tool.call.id": call.callId,
          "gen_ai.tool.type": "function",
          "hermes.run_id": run.runId,
        };
        const span = getTracer().startSpan(
          `execute_tool ${call.name}`,
          { kind: SpanKind.INTERNAL, startTime: call.startedAt, attributes },
          parentOf(run.requestId),
        );
        if (call.isError) {
          span.setAttribute("error.type", "tool_error");
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end(call.startedAt + call.durationMs);
      },
      // Defined only when wanted: a storage observer makes the proxy track request context.
      ...(storageSpans && { onStorageOperation }),
    },
  });

  function onStorageOperation(operation: StorageOperationInfo): void {
    // Only work done for a request: background sweeps would bury the traces that matter.
    if (operation.requestId === undefined) return;
    const parent = requests.get(operation.requestId);
    if (!parent) return;
    const attributes: Attributes = { "db.operation.name": operation.operation, "hermes.storage.driver": operation.driver };
    if (operation.driver === "redis" || operation.driver === "sqlite") attributes["db.system.name"] = operation.driver;
    const span = getTracer().startSpan(
      `${operation.operation} ${operation.driver}`,
      { kind: SpanKind.CLIENT, startTime: operation.startedAt, attributes },
      parent,
    );
    if (operation.failed) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end(operation.startedAt + operation.durationMs);
  }
}

/** The request's sampling settings, as the GenAI conventions name them; only those it set. */
function samplingAttributes(run: RunInfo): Attributes {
  const { input } = run;
  const attributes: Attributes = {};
  if (input.temperature !== undefined) attributes["gen_ai.request.temperature"] = input.temperature;
  if (input.topP !== undefined) attributes["gen_ai.request.top_p"] = input.topP;
  if (input.maxOutputTokens !== undefined) attributes["gen_ai.request.max_tokens"] = input.maxOutputTokens;
  return attributes;
}

/** `server.address` and `server.port` of an upstream's origin. */
function serverAttributes(origin: string | undefined): Attributes {
  if (origin === undefined) return {};
  try {
    const url = new URL(origin);
    const port = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
    return { "server.address": url.hostname, "server.port": port };
  } catch {
    return {};
  }
}
