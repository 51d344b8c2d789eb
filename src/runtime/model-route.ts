import type { HermesConfig } from "../config/schema.ts";
import { HermesError } from "../protocol/index.ts";
import type { ModelChoice } from "./model.ts";

/**
 * Which route a request takes when the config has a `models` table: the one its `model` names, else
 * `routing.defaultModel`'s, else (for a request that names no model) the table's first. The advertised
 * name goes upstream, where the router maps it to each target's own model name; the client's name is
 * reported back.
 *
 * @throws {HermesError} 404 `model_not_found` for a name the table does not have and no default route.
 */
export function chooseRoute(config: HermesConfig, requested: string | undefined): ModelChoice {
  const { models, routing } = config;
  let name: string | undefined;
  if (requested !== undefined && Object.hasOwn(models, requested)) name = requested;
  else name = routing.defaultModel ?? (requested === undefined ? Object.keys(models)[0] : undefined);
  if (name === undefined) {
    const shown = requested!.length > 100 ? `${requested!.slice(0, 100)}…` : requested!;
    throw new HermesError(`The model '${shown}' does not exist; GET /v1/models lists the models this proxy serves`, {
      status: 404,
      code: "model_not_found",
      param: "model",
    });
  }
  const { contextTokens } = models[name]!;
  return { upstream: name, reported: requested ?? name, ...(contextTokens !== undefined && { contextTokens }) };
}

/** True when the config routes by a `models` table. */
export function hasModelTable(config: HermesConfig): boolean {
  return Object.keys(config.models).length > 0;
}
