import type { HermesConfig } from "../config/schema.ts";
import type { Observers } from "../plugins/observers.ts";
import type { RunInfo } from "../plugin-api/index.ts";
import { createChatUpstream } from "./chat/index.ts";
import { createEchoUpstream } from "./echo/index.ts";
import { observeUpstream } from "./observed.ts";
import { createResponsesUpstream } from "./responses/index.ts";
import { createRouterUpstream, type FallbackEvent, modelRoutes, usedUpstreams } from "./router/index.ts";
import type { Upstream } from "./types.ts";

export interface CreateUpstreamOptions {
  /** Observers of upstream calls; each upstream is wrapped only when some observer wants its calls. */
  observers?: Observers | undefined;
  /** Request log debug contents: the text of each message produced. */
  onOutputText?: ((run: RunInfo, text: string) => void) | undefined;
  /** Told when a routed request falls back (metrics). */
  onFallback?: ((event: FallbackEvent) => void) | undefined;
  /** The routers' circuit-breaker clock. @default Date.now */
  now?: () => number;
}

/**
 * The upstream the agent loop calls: always the router, over every upstream the route table names
 * (`default` being the `upstream` block). Without a `models` table the table is the `upstream` block's
 * one route, and the router shows that upstream (the embedded echo upstream when it has no `baseURL`)
 * as its own: one path for every config.
 */
export function createUpstreamFromConfig(config: HermesConfig, options: CreateUpstreamOptions = {}): Upstream {
  const observe = (upstream: Upstream, name: string) =>
    options.observers || options.onOutputText
      ? observeUpstream(upstream, { name, observers: options.observers ?? {}, onOutputText: options.onOutputText })
      : upstream;

  const { routes, defaultRoute, implicit } = modelRoutes(config);
  const upstreams = new Map<string, Upstream>();
  for (const name of usedUpstreams(routes)) {
    const settings = Object.hasOwn(config.upstreams, name) ? config.upstreams[name]! : config.upstream;
    upstreams.set(name, observe(createSingleUpstream(settings), name));
  }
  return createRouterUpstream({
    routes,
    defaultRoute,
    transparent: implicit,
    upstreams,
    fallbackOn: config.routing.fallbackOn,
    circuitBreaker: config.routing.circuitBreaker,
    now: options.now,
    onFallback: options.onFallback,
  });
}

/** One upstream from its settings: the `upstream` block or an entry of `upstreams`. */
function createSingleUpstream(settings: HermesConfig["upstream"]): Upstream {
  if (!settings.baseURL) return createEchoUpstream();
  return settings.api === "responses" ? createResponsesUpstream(settings) : createChatUpstream(settings);
}
