import { z } from "zod";
import { runInputSchema } from "../protocol/index.ts";
import { nearest } from "./nearest.ts";

/**
 * Model routing: several upstreams by name, a table from the model names clients see to the upstream
 * (and its model name) that serves each, with fallbacks; see `src/upstream/router/`. A config without a
 * `models` table keeps the single `upstream` block and its behaviour.
 */

/** Where a model's requests go: a configured upstream and the model name it knows. */
const routeTargetSchema = z.strictObject({
  /** A key of `upstreams`, or `default` for the `upstream` block (when it has a `baseURL`). */
  upstream: z.string().min(1),
  /** The model name sent to that upstream. */
  model: z.string().min(1),
});

/** Sampling settings a route applies to requests that leave them out; named as in `RunInput`. */
export const routeDefaultsSchema = runInputSchema
  .pick({
    temperature: true,
    topP: true,
    maxOutputTokens: true,
    stop: true,
    seed: true,
    frequencyPenalty: true,
    presencePenalty: true,
    reasoningEffort: true,
  })
  .partial()
  .strict();

export const routeSchema = routeTargetSchema.extend({
  /** Tried in order when the one before fails before its first byte (see `routing.fallbackOn`). @default [] */
  fallbacks: z.array(routeTargetSchema).default([]),
  /** Sampling settings for requests that set none, e.g. `{ temperature: 0.2 }`. */
  defaults: routeDefaultsSchema.optional(),
  /** This model's context in tokens, for `truncation: "auto"`. @default agent.contextTokens */
  contextTokens: z.number().int().positive().optional(),
});

/**
 * Advertised model name → route. `/v1/models` lists these names; a request's `model` picks its route.
 *
 * @example
 * models: {
 *   "smart": { upstream: "openai", model: "gpt-4.1", fallbacks: [{ upstream: "groq", model: "llama-3.3-70b-versatile" }] },
 *   "fast": { upstream: "groq", model: "llama-3.1-8b-instant", defaults: { temperature: 0.2 } },
 * }
 */
export const modelsConfigSchema = z.record(z.string().min(1), routeSchema).default({});

/** Upstream failures, before the first byte, that send a request on to the route's next fallback. */
export const fallbackReasons = ["connection", "timeout", "429", "5xx", "auth"] as const;
export type FallbackReason = (typeof fallbackReasons)[number];

export const routingConfigSchema = z.strictObject({
  /**
   * A name from `models` whose route takes requests for any model not in the table (and requests that
   * name none). Unset: such requests get a 404 `model_not_found`; requests that name none take the first model.
   */
  defaultModel: z.string().min(1).optional(),
  /**
   * Which failures fall back: `connection` (refused, reset, DNS), `timeout`, `429`, `5xx` (and broken
   * upstream answers), `auth` (the upstream refused its key). A failure after the first byte never falls back.
   * @default ["connection", "timeout", "429", "5xx"]
   */
  fallbackOn: z.array(z.enum(fallbackReasons)).default(["connection", "timeout", "429", "5xx"]),
  circuitBreaker: z
    .strictObject({
      /** Consecutive failures after which an upstream is skipped. @default 5 */
      failures: z.number().int().positive().default(5),
      /** How long it is skipped before one request may try it again. @default 30_000 */
      cooldownMs: z.number().int().positive().default(30_000),
    })
    .prefault({}),
});

/** The upstream name under which routes reach the single `upstream` block. */
export const defaultUpstreamName = "default";

/** The part of the resolved config the cross-checks read. */
interface RoutingInput {
  upstream: { baseURL?: string | undefined };
  upstreams: Record<string, unknown>;
  models: Record<string, z.output<typeof routeSchema>>;
  routing: z.output<typeof routingConfigSchema>;
}

/**
 * What the field schemas cannot see: every route names a declared upstream, the default model is in
 * the table, and declared upstreams are reachable through it. Each problem names its field.
 */
export function checkRouting(config: RoutingInput, context: z.RefinementCtx): void {
  const upstreams = Object.keys(config.upstreams);
  if (config.upstream.baseURL !== undefined && !upstreams.includes(defaultUpstreamName)) upstreams.push(defaultUpstreamName);
  const models = Object.keys(config.models);

  const checkTarget = (name: string, path: (string | number)[]) => {
    if (upstreams.includes(name)) return;
    const close = nearest(name, upstreams);
    const hint =
      close !== undefined ? `; did you mean "${close}"?` : upstreams.length > 0 ? `; declared: ${upstreams.join(", ")}` : "; declare it under upstreams";
    context.addIssue({ code: "custom", path, message: `unknown upstream "${name}"${hint}` });
  };
  for (const [model, route] of Object.entries(config.models)) {
    checkTarget(route.upstream, ["models", model, "upstream"]);
    route.fallbacks.forEach((fallback, index) => checkTarget(fallback.upstream, ["models", model, "fallbacks", index, "upstream"]));
  }

  const { defaultModel } = config.routing;
  if (defaultModel !== undefined && !models.includes(defaultModel)) {
    const close = nearest(defaultModel, models);
    const hint = close !== undefined ? `; did you mean "${close}"?` : models.length > 0 ? `; models are ${models.join(", ")}` : "; add it to models";
    context.addIssue({ code: "custom", path: ["routing", "defaultModel"], message: `"${defaultModel}" is not a key of models${hint}` });
  }
  if (Object.keys(config.upstreams).length > 0 && models.length === 0)
    context.addIssue({
      code: "custom",
      path: ["upstreams"],
      message: 'declared upstreams are reached through a models table; add models: { "<name>": { upstream: "<upstream>", model: "<its model>" } }',
    });
}
