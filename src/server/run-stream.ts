import type { HermesEvent } from "../protocol/index.ts";
import type { StreamEncoder } from "../wire/types.ts";

/**
 * How a run's events become frames in `sseResponse`: the format's encoder, and its terminal frames if
 * the run's source ever threw (it ends every run in a terminal event by contract, so this is a guard).
 */
export function runFrames(encoder: StreamEncoder) {
  return {
    frame: (event: HermesEvent) => encoder.encode(event),
    failed: () => encoder.abort({ message: "Internal server error", type: "server_error", code: "internal_error" }),
  };
}
