import { defaultUpstreamName } from "../config/routing-schema.ts";
import type { HermesConfig } from "../config/schema.ts";
import type { Observers } from "../plugins/observers.ts";
import type { RunInfo } from "../plugin-api/index.ts";
import { createChatUpstream } from "./chat/index.ts";
import { createEchoUpstream } from "./echo/index.ts";
import { observeUpstream } from "./observed.ts";
import { createResponsesUpstream } from "./responses/index.ts";
import { buildRoutes, createRouterUpstream, type FallbackEvent, usedUpstreams } from "./router/index.ts";
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
 * The upstream the agent loop calls. Without a `models` table: the `upstream` block's (the embedded echo
 * upstream when it has no `baseURL`), exactly as before routing existed. With one: a router over every
 * upstream the table names, `default` being the `upstream` block.
 */
export function createUpstreamFromConfig(config: HermesConfig, options: CreateUpstreamOptions = {}): Upstream {
  const observe = (upstream: Upstream, name: string) =>
    options.observers || options.onOutputText
      ? observeUpstream(upstream, { name, observers: options.observers ?? {}, onOutputText: options.onOutputText })
      : upstream;

  if (Object.keys(config.models).length === 0) return observe(createSingleUpstream(config.upstream), defaultUpstreamName);

  const routes = buildRoutes(config.models);
  const upstreams = new Map<string, Upstream>();
  for (const name of usedUpstreams(routes)) {
    const settings = Object.hasOwn(config.upstreams, name) ? config.upstreams[name]! : config.upstream;
    upstreams.set(name, observe(createSingleUpstream(settings), name));
  }
  return createRouterUpstream({
    routes,
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
