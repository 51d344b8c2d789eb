/**
 * The names shared by `hermes-routed.config.ts` (hermes's `models` table) and `scenarios.ts` (what
 * the scenarios send): a routed request names `routed-<upstream model>`, and the route sends it on as
 * `<upstream model>`, so the fake upstream, which picks its answer from the model name, answers it as
 * it answers the bare request the pipe proxy passes on.
 */

/** The routes' upstream model names: the answer shapes the routed scenarios use. */
export const routedModels = ["bench-json", "bench-burst-64", "bench-paced-64"] as const;

/** The advertised name of the route to `upstreamModel`. */
export const routedName = (upstreamModel: string): string => `routed-${upstreamModel}`;
