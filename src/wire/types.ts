import type { HermesEvent } from "../protocol/index.ts";

/**
 * What every wire format's stream encoder looks like: fed the run's events in order, it returns the
 * SSE text to write for each (possibly empty). Stateful per stream, but pure: no I/O, no clock.
 */
export interface StreamEncoder {
  encode(event: HermesEvent): string;
  /** The frames that end the stream when it must stop early (shutdown, an internal failure). */
  abort(error: { message: string; type: string; code: string | null }): string;
}

import type { RunInput } from "../protocol/index.ts";

/** What a format's decoder hands the runtime: the run's settings, before model and state are resolved. */
export interface DecodedRequest {
  /** The model the client asked for, if it named one. */
  model: string | undefined;
  stream: boolean;
  input: Omit<RunInput, "model" | "instructions">;
}
