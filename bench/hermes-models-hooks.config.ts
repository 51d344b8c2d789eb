/**
 * The config of the bench's "routed" hermes (`--config` of the scenarios marked `hermesConfig` in
 * `scenarios.ts`): what a configured proxy runs, beside the bare one of the other scenarios.
 *
 * - A `models` table of three routes, each with a fallback on a second upstream. Both upstreams are
 *   the bench's fake upstream; the first always answers, so no fallback is ever taken, but every call
 *   goes through the router (`src/upstream/router/`).
 * - A plugin with run hooks (`onEvent`, `onRunEnd`): every event of every run goes through the hooks
 *   (`src/agent/hooks.ts`), the path a proxy with hook plugins takes.
 *
 * When this was written (issue 13, "one path"), either of the two took the agent loop off its batch
 * path (`runAgentBatches` → one event at a time); the scenarios measure what that costs, and whether
 * a single path removes it.
 *
 * The advertised names are `routed-<upstream model>` (see `routed.ts`).
 */
import { defineConfig, definePlugin } from "../sdk/index.ts";
import { routedModels, routedName } from "./routed.ts";

/** Observes every event as a metrics or audit plugin would, doing next to nothing with it. */
function eventTally() {
  const counts = new Map<string, number>();
  let runs = 0;
  let textBytes = 0;
  return definePlugin({
    name: "bench-event-tally",
    hooks: {
      onEvent(event) {
        counts.set(event.type, (counts.get(event.type) ?? 0) + 1);
        if (event.type === "text.delta") textBytes += event.delta.length;
      },
      onRunEnd(_run, end) {
        runs++;
        if (end.type === "run.failed") counts.set("failed", (counts.get("failed") ?? 0) + 1);
        // Read, so that the tally is not dead code to the optimiser.
        if (runs % 1_000_000 === 0) console.log(`[bench-event-tally] ${runs} runs, ${textBytes} bytes of text`);
      },
    },
  });
}

export default defineConfig((env) => {
  const baseURL = env.HERMES_UPSTREAM_URL;
  if (baseURL === undefined) throw new Error("the bench sets HERMES_UPSTREAM_URL to its fake upstream");
  return {
    upstreams: { primary: { baseURL }, secondary: { baseURL } },
    models: Object.fromEntries(routedModels.map((model) => [routedName(model), { upstream: "primary", model, fallbacks: [{ upstream: "secondary", model }] }])),
    plugins: [eventTally()],
  };
});
