import type { z } from "zod";
import { defaultUpstreamName, type routeDefaultsSchema } from "../../config/routing-schema.ts";
import type { HermesConfig } from "../../config/schema.ts";
import type { RunInput } from "../../protocol/index.ts";

/** Where one attempt goes: a configured upstream and the model name it knows. */
export interface RouteTarget {
  upstream: string;
  /** Absent on the route of an `upstream` block without `model`: the request's own model goes as sent. */
  model?: string | undefined;
}

/** One advertised model: its targets in the order they are tried, and what it adds to requests. */
export interface Route {
  /** The advertised name (a key of `models`). */
  name: string;
  /** The first choice, then the fallbacks. */
  targets: readonly RouteTarget[];
  /** Sampling settings for requests that set none. */
  defaults: Readonly<z.output<typeof routeDefaultsSchema>> | undefined;
  /** The route's own context budget (`models.<name>.contextTokens`). */
  contextTokens?: number | undefined;
}

/** Every request's way to an upstream: the route table, and the route that takes names it does not list. */
export interface ModelRoutes {
  routes: ReadonlyMap<string, Route>;
  /** The route for a model the table does not list (`routing.defaultModel`); none means a 404. */
  defaultRoute: Route | undefined;
  /**
   * True when the config has no `models` table: its `upstream` block became a one-route table named
   * after the advertised model, which takes every request (and, without `upstream.model`, sends each
   * request's model as it is).
   */
  implicit: boolean;
}

const resolved = new WeakMap<HermesConfig, ModelRoutes>();

/**
 * The route table of a resolved config. One path for every config: a `models` table as written, or
 * the single `upstream` block as a one-route table (`implicit`), so that model choice and the router
 * are the same code whether or not the user wrote a table.
 */
export function modelRoutes(config: HermesConfig): ModelRoutes {
  let table = resolved.get(config);
  if (table) return table;
  if (Object.keys(config.models).length > 0) {
    const routes = buildRoutes(config.models);
    const { defaultModel } = config.routing;
    table = { routes, defaultRoute: defaultModel === undefined ? undefined : routes.get(defaultModel), implicit: false };
  } else {
    const name = config.model.name;
    const route: Route = { name, targets: [{ upstream: defaultUpstreamName, model: config.upstream.model }], defaults: undefined };
    table = { routes: new Map([[name, route]]), defaultRoute: route, implicit: true };
  }
  resolved.set(config, table);
  return table;
}

/** The `models` table, ready for lookups: advertised name → route. */
export function buildRoutes(models: HermesConfig["models"]): ReadonlyMap<string, Route> {
  const routes = new Map<string, Route>();
  for (const [name, route] of Object.entries(models)) {
    const defaults = route.defaults && Object.keys(route.defaults).length > 0 ? route.defaults : undefined;
    routes.set(name, {
      name,
      targets: [{ upstream: route.upstream, model: route.model }, ...route.fallbacks.map(({ upstream, model }) => ({ upstream, model }))],
      defaults,
      ...(route.contextTokens !== undefined && { contextTokens: route.contextTokens }),
    });
  }
  return routes;
}

/** The upstream names the routes use, each once, in order of first use. */
export function usedUpstreams(routes: ReadonlyMap<string, Route>): string[] {
  const names = new Set<string>();
  for (const route of routes.values()) for (const target of route.targets) names.add(target.upstream);
  return [...names];
}

/** The request with the route's defaults filled in where it left a setting out; the same object when nothing changes. */
export function withDefaults(input: RunInput, defaults: Route["defaults"]): RunInput {
  if (defaults === undefined) return input;
  let result: RunInput | undefined;
  for (const [key, value] of Object.entries(defaults) as [keyof typeof defaults, unknown][]) {
    if (value === undefined || input[key] !== undefined) continue;
    result ??= { ...input };
    (result as Record<string, unknown>)[key] = value;
  }
  return result ?? input;
}
