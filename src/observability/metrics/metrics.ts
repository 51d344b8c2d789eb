import { createRequire } from "node:module";
import type { Registry } from "prom-client";
import type { ObservationHooks } from "../../plugins/observers.ts";
import type { FallbackEvent, RoutedUpstreamState } from "../../upstream/router/index.ts";
import { childCache, LabelLimit } from "./label-limit.ts";

/** Live counts read when Prometheus scrapes, so that keeping them costs nothing per request. */
export interface MetricsSources {
  requestsInFlight(): number;
  runsInFlight(): number;
  streamsInFlight(): ReadonlyMap<string, number>;
  /** The router's upstreams and their circuits; absent without a `models` table. */
  upstreamStates?: (() => RoutedUpstreamState[]) | undefined;
}

export interface HermesMetrics {
  /** The prom-client registry: this proxy's own, never the global default one. */
  readonly registry: Registry;
  /** The exposition format's content type. */
  readonly contentType: string;
  /** Observation hooks that update the metrics. */
  readonly hooks: ObservationHooks;
  /** Counts a routed request moving on to a fallback. */
  onFallback(event: FallbackEvent): void;
  /** Connects the scrape-time gauges to what they read. */
  bind(sources: MetricsSources): void;
  /** The Prometheus text exposition. */
  render(): Promise<string>;
}

export interface MetricsOptions {
  version: string;
  /** Also the Node process's own metrics (`metrics.processMetrics`). */
  processMetrics: boolean;
}

const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const storageBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const toolBuckets = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * The proxy's Prometheus metrics (prom-client), all named `hermes_…`:
 *
 * - `hermes_http_requests_total{method,route,format,model,status}`, `hermes_http_request_duration_seconds`
 *   and `hermes_http_time_to_first_byte_seconds` `{method,route,format}`;
 * - `hermes_http_requests_in_flight`, `hermes_http_streams_in_flight{format}`, `hermes_runs_in_flight`;
 * - `hermes_upstream_requests_total{upstream,model,outcome}`, `hermes_upstream_request_duration_seconds{upstream,outcome}`,
 *   `hermes_upstream_time_to_first_byte_seconds{upstream}`, `hermes_upstream_errors_total{upstream,code}`,
 *   `hermes_upstream_fallbacks_total{model,from,to,reason}`, `hermes_upstream_circuit_open{upstream}`;
 * - `hermes_tokens_total{model,type}` (type `input` or `output`; model as the client named it);
 * - `hermes_tool_calls_total{tool,outcome}`, `hermes_tool_call_duration_seconds{tool}`;
 * - `hermes_storage_operation_duration_seconds{driver,operation}`, `hermes_storage_errors_total{driver,operation}`;
 * - `hermes_build_info{version}`, and Node's process metrics unless turned off.
 *
 * Updated by observation hooks (each a cached child's `inc` or `observe`), or read at scrape time.
 */
export function createMetrics(options: MetricsOptions): HermesMetrics {
  // Loaded here, when metrics are on, not with the module: prom-client costs memory that a proxy
  // without metrics (the default) would pay for nothing. It is CommonJS, so this stays synchronous.
  const { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } = createRequire(import.meta.url)("prom-client") as typeof import("prom-client");
  const registry = new Registry();
  const registers = [registry];
  const models = new LabelLimit(100);
  const codes = new LabelLimit(50);
  const routes = new LabelLimit(50);
  let sources: MetricsSources | undefined;

  new Gauge({ name: "hermes_build_info", help: "Always 1; the labels say which hermes-proxy runs.", labelNames: ["version"], registers }).set(
    { version: options.version },
    1,
  );
  if (options.processMetrics) collectDefaultMetrics({ register: registry });

  const requests = childCache(
    new Counter({
      name: "hermes_http_requests_total",
      help: "HTTP requests answered.",
      labelNames: ["method", "route", "format", "model", "status"],
      registers,
    }),
  );
  const requestSeconds = childCache(
    new Histogram({
      name: "hermes_http_request_duration_seconds",
      help: "From a request's arrival to its response's last byte (a stream's end).",
      labelNames: ["method", "route", "format"],
      buckets: latencyBuckets,
      registers,
    }),
  );
  const firstByteSeconds = childCache(
    new Histogram({
      name: "hermes_http_time_to_first_byte_seconds",
      help: "From a request's arrival to its response's start: headers and, for a stream, its first output.",
      labelNames: ["method", "route", "format"],
      buckets: latencyBuckets,
      registers,
    }),
  );
  new Gauge({
    name: "hermes_http_requests_in_flight",
    help: "HTTP requests being handled.",
    registers,
    collect() {
      this.set(sources?.requestsInFlight() ?? 0);
    },
  });
  new Gauge({
    name: "hermes_http_streams_in_flight",
    help: "Event streams being sent, by wire format.",
    labelNames: ["format"],
    registers,
    collect() {
      this.reset();
      for (const [format, count] of sources?.streamsInFlight() ?? []) this.set({ format }, count);
    },
  });
  new Gauge({
    name: "hermes_runs_in_flight",
    help: "Runs API runs executing in this process.",
    registers,
    collect() {
      this.set(sources?.runsInFlight() ?? 0);
    },
  });

  const upstreamRequests = childCache(
    new Counter({
      name: "hermes_upstream_requests_total",
      help: "Upstream calls, by how they ended.",
      labelNames: ["upstream", "model", "outcome"],
      registers,
    }),
  );
  const upstreamSeconds = childCache(
    new Histogram({
      name: "hermes_upstream_request_duration_seconds",
      help: "Upstream calls from request to last byte.",
      labelNames: ["upstream", "outcome"],
      buckets: latencyBuckets,
      registers,
    }),
  );
  const upstreamFirstByteSeconds = childCache(
    new Histogram({
      name: "hermes_upstream_time_to_first_byte_seconds",
      help: "Upstream calls from request to their first event.",
      labelNames: ["upstream"],
      buckets: latencyBuckets,
      registers,
    }),
  );
  const upstreamErrors = childCache(
    new Counter({ name: "hermes_upstream_errors_total", help: "Upstream calls that failed, by error code.", labelNames: ["upstream", "code"], registers }),
  );
  const fallbacks = childCache(
    new Counter({
      name: "hermes_upstream_fallbacks_total",
      help: "Requests that moved on from a failing upstream to the route's next one.",
      labelNames: ["model", "from", "to", "reason"],
      registers,
    }),
  );
  new Gauge({
    name: "hermes_upstream_circuit_open",
    help: "1 while an upstream is skipped after repeated failures (circuit open), else 0.",
    labelNames: ["upstream"],
    registers,
    collect() {
      for (const state of sources?.upstreamStates?.() ?? []) this.set({ upstream: state.name }, state.circuit === "open" ? 1 : 0);
    },
  });
  const tokens = childCache(
    new Counter({
      name: "hermes_tokens_total",
      help: "Tokens the upstreams reported, by the model the client named.",
      labelNames: ["model", "type"],
      registers,
    }),
  );
  const toolCalls = childCache(
    new Counter({ name: "hermes_tool_calls_total", help: "Server-side tool calls, by outcome.", labelNames: ["tool", "outcome"], registers }),
  );
  const toolSeconds = childCache(
    new Histogram({ name: "hermes_tool_call_duration_seconds", help: "Server-side tool calls.", labelNames: ["tool"], buckets: toolBuckets, registers }),
  );
  const storageSeconds = childCache(
    new Histogram({
      name: "hermes_storage_operation_duration_seconds",
      help: "Calls into the storage driver.",
      labelNames: ["driver", "operation"],
      buckets: storageBuckets,
      registers,
    }),
  );
  const storageErrors = childCache(
    new Counter({ name: "hermes_storage_errors_total", help: "Calls into the storage driver that failed.", labelNames: ["driver", "operation"], registers }),
  );

  const hooks: ObservationHooks = {
    onRequestEnd(request, summary) {
      const route = routes.value(request.route);
      const format = request.format ?? "none";
      requests(request.method, route, format, models.value(summary.model), String(summary.status)).inc();
      requestSeconds(request.method, route, format).observe(summary.durationMs / 1000);
      if (summary.firstByteMs !== undefined) firstByteSeconds(request.method, route, format).observe(summary.firstByteMs / 1000);
    },
    onUpstreamEnd(call, result, run) {
      upstreamRequests(call.upstream, models.value(call.model), result.outcome).inc();
      upstreamSeconds(call.upstream, result.outcome).observe(result.durationMs / 1000);
      if (result.firstByteMs !== undefined) upstreamFirstByteSeconds(call.upstream).observe(result.firstByteMs / 1000);
      if (result.outcome === "error") upstreamErrors(call.upstream, codes.value(result.error?.code ?? undefined)).inc();
      if (result.usage) {
        const model = models.value(run.model);
        tokens(model, "input").inc(result.usage.inputTokens);
        tokens(model, "output").inc(result.usage.outputTokens);
      }
    },
    onToolCall(call) {
      toolCalls(call.name, call.isError ? "error" : "ok").inc();
      toolSeconds(call.name).observe(call.durationMs / 1000);
    },
    onStorageOperation(operation) {
      storageSeconds(operation.driver, operation.operation).observe(operation.durationMs / 1000);
      if (operation.failed) storageErrors(operation.driver, operation.operation).inc();
    },
  };

  return {
    registry,
    contentType: registry.contentType,
    hooks,
    onFallback: (event) => fallbacks(event.model, event.from.upstream, event.to.upstream, event.reason).inc(),
    bind: (bound) => {
      sources = bound;
    },
    render: () => registry.metrics(),
  };
}
