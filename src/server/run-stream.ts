import type { HermesEvent } from "../protocol/index.ts";
import type { RunCollector } from "../runtime/collect.ts";
import type { StreamEncoder } from "../wire/types.ts";

/**
 * How a run's events become frames in `sseResponse`: the format's encoder, and its terminal frames if
 * the run's source ever threw (it ends every run in a terminal event by contract, so this is a guard).
 * With `fold`, each event is added to the run's one collector first, where the route folds it itself.
 */
export function runFrames(encoder: StreamEncoder, fold?: RunCollector) {
  return {
    frame: fold
      ? (event: HermesEvent) => {
          fold.add(event);
          return encoder.encode(event);
        }
      : (event: HermesEvent) => encoder.encode(event),
    failed: () => encoder.abort({ message: "Internal server error", type: "server_error", code: "internal_error" }),
  };
}
