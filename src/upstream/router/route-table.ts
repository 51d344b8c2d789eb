import type { z } from "zod";
import type { routeDefaultsSchema } from "../../config/routing-schema.ts";
import type { HermesConfig } from "../../config/schema.ts";
import type { RunInput } from "../../protocol/index.ts";

/** Where one attempt goes: a configured upstream and the model name it knows. */
export interface RouteTarget {
  upstream: string;
  model: string;
}

/** One advertised model: its targets in the order they are tried, and what it adds to requests. */
export interface Route {
  /** The advertised name (a key of `models`). */
  name: string;
  /** The first choice, then the fallbacks. */
  targets: readonly RouteTarget[];
  /** Sampling settings for requests that set none. */
  defaults: Readonly<z.output<typeof routeDefaultsSchema>> | undefined;
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
