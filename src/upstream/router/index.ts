import type { FallbackReason } from "../../config/routing-schema.ts";
import { HermesError, type HermesEvent, type RunInput } from "../../protocol/index.ts";
import type { ForwardRequest, Upstream, UpstreamCallOptions } from "../types.ts";
import { CircuitBreaker, type CircuitState } from "./circuit-breaker.ts";
import { failureReason } from "./failure.ts";
import { type Route, type RouteTarget, withDefaults } from "./route-table.ts";

export { buildRoutes, modelRoutes, usedUpstreams, withDefaults, type ModelRoutes, type Route, type RouteTarget } from "./route-table.ts";
export { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from "./circuit-breaker.ts";
export { failureReason } from "./failure.ts";

/** A request moved on from a failing target to the next one. */
export interface FallbackEvent {
  /** The advertised model. */
  model: string;
  from: RouteTarget;
  to: RouteTarget;
  reason: FallbackReason;
}

export interface RouterOptions {
  routes: ReadonlyMap<string, Route>;
  /** The route for a model `routes` does not list; without one such a call is a 404. */
  defaultRoute?: Route | undefined;
  /**
   * The router over the single `upstream` block (a one-route table): it shows that upstream's kind,
   * address and model list as its own, and no per-upstream states, as if it were not there.
   */
  transparent?: boolean;
  /** Every upstream the routes name, by name. */
  upstreams: ReadonlyMap<string, Upstream>;
  /** Failures before the first byte that move on to the next target (`routing.fallbackOn`). */
  fallbackOn: readonly FallbackReason[];
  /** `routing.circuitBreaker`. */
  circuitBreaker: { failures: number; cooldownMs: number };
  /** Epoch ms, for the circuit breakers; tests pass a fake clock. @default Date.now */
  now?: () => number;
  /** Told when a request falls back (metrics); absent when nothing counts them. */
  onFallback?: ((event: FallbackEvent) => void) | undefined;
}

/** An upstream's name, API, host and circuit, for `/health/detailed` and metrics. */
export interface RoutedUpstreamState {
  name: string;
  kind: string;
  baseURL: string | undefined;
  circuit: CircuitState;
}

/** The router: an Upstream like the others, so the agent loop and the routes do not know it is there. */
export interface RouterUpstream extends Upstream {
  readonly kind: "router";
  /** Each upstream's state, in configuration order. */
  upstreamStates(): RoutedUpstreamState[];
}

/** True for the router, which can describe its upstreams. */
export function isRouterUpstream(upstream: Upstream): upstream is RouterUpstream {
  return upstream.kind === "router" && "upstreamStates" in upstream;
}

/**
 * Routes each call by the model it names (the advertised name `chooseModel` put there) to the route's
 * first target, with that target's model name and the route's defaults. When a target fails before its
 * first event in a way `fallbackOn` lists, the next target is tried with its own model name; once an
 * event has been produced, a failure ends the call (the client gets the terminal error), since a second
 * upstream would start a different answer. A target whose upstream's circuit is open is skipped; when
 * every target is skipped the call fails at once with a 503 `upstream_unavailable` and `Retry-After`.
 *
 * @example
 * const router = createRouterUpstream({ routes: buildRoutes(config.models), upstreams, fallbackOn: ["5xx"], circuitBreaker: { failures: 5, cooldownMs: 30_000 } });
 */
export function createRouterUpstream(options: RouterOptions & { transparent?: false }): RouterUpstream;
export function createRouterUpstream(options: RouterOptions): Upstream;
export function createRouterUpstream(options: RouterOptions): Upstream {
  const { routes, upstreams } = options;
  const fallbackOn = new Set(options.fallbackOn);
  const breakers = new Map<string, CircuitBreaker>();
  // The `upstream` block alone has nothing to fall back to: skipping it for a cool-down after a few
  // failures would turn a blip into an outage, so its circuit never opens (each call tries it).
  const circuit = options.transparent ? { failures: Number.POSITIVE_INFINITY, cooldownMs: 0 } : options.circuitBreaker;
  for (const name of upstreams.keys()) breakers.set(name, new CircuitBreaker({ ...circuit, now: options.now }));

  /** The call's first batch: the route's targets in order, past the failures `fallbackOn` lists. */
  async function open(input: RunInput, callOptions: UpstreamCallOptions): Promise<Opened> {
    const route = routes.get(input.model) ?? options.defaultRoute;
    if (!route) throw new HermesError(`No route for the model '${input.model}'`, { status: 404, code: "model_not_found", param: "model" });
    const routed = withDefaults(input, route.defaults);
    let lastError: unknown;
    let previous: RouteTarget | undefined;
    let previousReason: FallbackReason | undefined;

    for (let attempt = 0; attempt < route.targets.length; attempt++) {
      const target = route.targets[attempt]!;
      const breaker = breakers.get(target.upstream)!;
      if (!breaker.allow()) continue;
      if (previous && previousReason) options.onFallback?.({ model: route.name, from: previous, to: target, reason: previousReason });
      const upstream = upstreams.get(target.upstream)!;
      const model = target.model ?? input.model;
      const batches = upstream.stream(model === routed.model ? routed : { ...routed, model }, { ...callOptions, attempt })[Symbol.asyncIterator]();
      try {
        const first = await batches.next();
        breaker.succeeded();
        return { batches, breaker, first };
      } catch (error) {
        if (callOptions.signal.aborted) {
          breaker.released();
          throw error;
        }
        const reason = failureReason(error);
        if (reason === undefined) breaker.released();
        else breaker.failed();
        if (reason === undefined || !fallbackOn.has(reason)) throw error;
        lastError = error;
        previous = target;
        previousReason = reason;
      }
    }
    if (lastError !== undefined) throw lastError;
    throw unavailable(route, breakers);
  }

  const stream = (input: RunInput, callOptions: UpstreamCallOptions) => new RoutedCall(() => open(input, callOptions), callOptions.signal);
  /** Told by the route's first choice: a fallback of another API leaves out what it cannot carry. */
  const carriesHostedTools = (model: string): boolean => {
    const first = (routes.get(model) ?? options.defaultRoute)?.targets[0];
    return first !== undefined && upstreams.get(first.upstream)?.carriesHostedTools?.(first.model ?? model) === true;
  };

  /** A forwarded request goes to its route's first target, with that target's model; no fallback (nothing is at stake). */
  async function forward(request: ForwardRequest): Promise<unknown> {
    const name = typeof request.body.model === "string" ? request.body.model : "";
    const route = routes.get(name) ?? options.defaultRoute;
    if (!route) throw new HermesError(`No route for the model '${name}'`, { status: 404, code: "model_not_found", param: "model" });
    const target = route.targets[0]!;
    const upstream = upstreams.get(target.upstream)!;
    if (!upstream.forward)
      throw new HermesError(
        `POST /v1${request.path} is answered by the model's provider, and only a Responses API upstream has it; the upstream of '${route.name}' speaks ${upstream.kind === "echo" ? "nothing (the embedded echo upstream)" : "Chat Completions"} (set upstream.api: "responses" for one that speaks the Responses API)`,
        { status: 400, code: "unsupported_by_upstream" },
      );
    return upstream.forward({ ...request, body: { ...request.body, model: target.model ?? name } });
  }
  if (options.transparent) {
    const [only] = upstreams.values();
    if (!only || upstreams.size !== 1) throw new Error("A transparent router has exactly one upstream");
    return {
      kind: only.kind,
      ...(only.baseURL !== undefined && { baseURL: only.baseURL }),
      stream,
      carriesHostedTools,
      forward,
      ...(only.listModels && { listModels: only.listModels.bind(only) }),
      close: () => only.close(),
    };
  }
  const router: RouterUpstream = {
    kind: "router",
    stream,
    carriesHostedTools,
    forward,
    async listModels() {
      return [...routes.keys()];
    },
    upstreamStates: () =>
      [...upstreams].map(([name, upstream]) => ({ name, kind: upstream.kind, baseURL: upstream.baseURL, circuit: breakers.get(name)!.state })),
    async close() {
      await Promise.all([...upstreams.values()].map((upstream) => upstream.close()));
    },
  };
  return router;
}

interface Opened {
  batches: AsyncIterator<HermesEvent[]>;
  breaker: CircuitBreaker;
  first: IteratorResult<HermesEvent[]>;
}

/**
 * One routed call: the first `next` opens it (`open`, with its fallbacks), every later one is the chosen
 * upstream's own, passed through one `then` that tells its circuit breaker about a failure. From the
 * first batch on the answer has begun: whatever happens, it is this upstream's or none. A hand-written
 * iterator: an async generator here would be one more layer on every network read.
 */
class RoutedCall implements AsyncIterableIterator<HermesEvent[]> {
  #open: (() => Promise<Opened>) | undefined;
  #opened: Opened | undefined;
  readonly #signal: AbortSignal;

  constructor(open: () => Promise<Opened>, signal: AbortSignal) {
    this.#open = open;
    this.#signal = signal;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<HermesEvent[]>> {
    const opened = this.#opened;
    if (opened !== undefined) return opened.batches.next().then(undefined, this.#failed);
    const open = this.#open;
    if (open === undefined) return Promise.resolve({ done: true, value: undefined });
    this.#open = undefined;
    return open().then((result) => {
      this.#opened = result;
      return result.first;
    });
  }

  /** The consumer stopped early (client gone): close the upstream call too. */
  async return(value?: unknown): Promise<IteratorResult<HermesEvent[]>> {
    this.#open = undefined;
    await this.#opened?.batches.return?.(value);
    return { done: true, value: undefined };
  }

  readonly #failed = (error: unknown): never => {
    if (!this.#signal.aborted && failureReason(error) !== undefined) this.#opened!.breaker.failed();
    throw error;
  };
}

/** Every target of the route is cooling down: fail fast, and say when to come back. */
function unavailable(route: Route, breakers: ReadonlyMap<string, CircuitBreaker>): HermesError {
  const waits = route.targets.map((target) => breakers.get(target.upstream)!.retryAfterMs);
  const seconds = Math.max(1, Math.ceil(Math.min(...waits) / 1000));
  return new HermesError(`Every upstream for the model '${route.name}' is failing and skipped for now; retry in ${seconds} s`, {
    status: 503,
    code: "upstream_unavailable",
    headers: { "retry-after": String(seconds) },
  });
}
