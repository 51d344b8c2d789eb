import type { HermesConfig } from "../config/schema.ts";
import { HermesError } from "../protocol/index.ts";
import { modelRoutes } from "../upstream/router/index.ts";
import type { Upstream } from "../upstream/types.ts";

export interface ModelChoice {
  /** What the run's input names as its model: the route's name, or the client's model on a route that sends it as is. */
  upstream: string;
  /** Reported back to the client: the name it asked for. */
  reported: string;
  /** The route's own context budget, when the `models` table sets one. */
  contextTokens?: number;
}

/**
 * Which route a request takes, over the config's route table (`modelRoutes`: the `models` table, or
 * the `upstream` block as a one-route table): the one its `model` names, else the default route
 * (`routing.defaultModel`, or the `upstream` block's), else, for a request that names no model, the
 * table's first. The client's name is reported back; the router maps the route to each target's model.
 *
 * A route without a model (an `upstream` block without `upstream.model`) sends the client's model as
 * it is; the advertised name and its aliases go to `upstream.defaultModel`, and without one they mean
 * nothing to a real upstream (the echo upstream takes any name), so they are a 400 saying what to configure.
 *
 * @throws {HermesError} 404 `model_not_found` for a name the table does not have and no default route;
 * 400 `model_not_configured` for the advertised name on a route without a model.
 */
export function chooseModel(config: HermesConfig, upstream: Upstream, requested: string | undefined): ModelChoice {
  const { routes, defaultRoute } = modelRoutes(config);
  const route =
    (requested !== undefined ? routes.get(requested) : undefined) ?? defaultRoute ?? (requested === undefined ? routes.values().next().value : undefined);
  if (route === undefined) {
    const shown = requested!.length > 100 ? `${requested!.slice(0, 100)}…` : requested!;
    throw new HermesError(`The model '${shown}' does not exist; GET /v1/models lists the models this proxy serves`, {
      status: 404,
      code: "model_not_found",
      param: "model",
    });
  }
  const reported = requested ?? route.name;
  if (route.targets[0]?.model !== undefined)
    return { upstream: route.name, reported, ...(route.contextTokens !== undefined && { contextTokens: route.contextTokens }) };
  const advertised = reported === config.model.name || config.model.aliases.includes(reported);
  const { defaultModel } = config.upstream;
  if (advertised && defaultModel !== undefined && upstream.kind !== "echo") return { upstream: defaultModel, reported };
  if (advertised && upstream.kind !== "echo")
    throw new HermesError(
      `No upstream model is configured for '${reported}': set HERMES_UPSTREAM_MODEL (upstream.model) or HERMES_UPSTREAM_DEFAULT_MODEL (upstream.defaultModel), or pick one of the upstream's models listed by GET /v1/models`,
      { status: 400, code: "model_not_configured", param: "model" },
    );
  return { upstream: reported, reported };
}
