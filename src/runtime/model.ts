import type { HermesConfig } from "../config/schema.ts";
import { HermesError } from "../protocol/index.ts";
import type { Upstream } from "../upstream/types.ts";
import { chooseRoute, hasModelTable } from "./model-route.ts";

export interface ModelChoice {
  /** Sent upstream. */
  upstream: string;
  /** Reported back to the client: the name it asked for. */
  reported: string;
  /** The route's own context budget, when the `models` table sets one. */
  contextTokens?: number;
}

/**
 * Which model goes upstream. A configured upstream model takes every request; without one the
 * client's model goes as sent, except the advertised name and its aliases, which mean nothing to a
 * real upstream (the echo upstream takes any name).
 */
export function chooseModel(config: HermesConfig, upstream: Upstream, requested: string | undefined): ModelChoice {
  if (hasModelTable(config)) return chooseRoute(config, requested);
  const advertised = config.model.name;
  const reported = requested ?? advertised;
  if (config.upstream.model) return { upstream: config.upstream.model, reported };
  if (upstream.kind === "echo") return { upstream: reported, reported };
  if (reported === advertised || config.model.aliases.includes(reported))
    throw new HermesError(
      `No upstream model is configured for '${reported}': set HERMES_UPSTREAM_MODEL (upstream.model), or pick one of the upstream's models listed by GET /v1/models`,
      { status: 400, code: "model_not_configured", param: "model" },
    );
  return { upstream: reported, reported };
}
