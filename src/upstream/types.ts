import type { HermesEvent, RunInput } from "../protocol/index.ts";
import type { NewId } from "../utils/index.ts";
import type { RunInfo } from "../plugin-api/index.ts";

export interface UpstreamCallOptions {
  /** Aborted when the client goes away or the run is cancelled: the upstream request must stop. */
  signal: AbortSignal;
  newId?: NewId;
  /** The client request's id, sent upstream as `X-Request-Id` so that both sides' logs line up. */
  requestId?: string | undefined;
  /** The run this call belongs to, for the observation hooks (`onUpstreamStart`, `onUpstreamEnd`). */
  run?: RunInfo | undefined;
  /** Set by the router: 0 for a route's first choice, 1 and up for its fallbacks. */
  attempt?: number | undefined;
  /**
   * `false` when nothing on the path needs the step's progress (a client that did not ask to stream,
   * and no server tool run whose progress it would see): the upstream is asked for one JSON answer,
   * which costs both sides less than a stream parsed back into one answer, and is given
   * `upstream.generationTimeoutMs` to send it. @default true
   */
  stream?: boolean | undefined;
}

/**
 * A Responses API request the proxy passes on without running anything itself: token counting and
 * compaction answer from the model's side, and only a Responses upstream has them.
 */
export interface ForwardRequest {
  path: "/responses/input_tokens" | "/responses/compact";
  /** The request body; its `model` is the advertised name (the router maps it to the target's model). */
  body: Record<string, unknown>;
  signal?: AbortSignal | undefined;
  requestId?: string | undefined;
}

/**
 * A model API behind the proxy. `stream` makes one upstream call (one agent step) and yields its
 * events in batches, as they became available (the events of one network read together), so that the
 * async hand-over is paid per read and not per event: `message.*`, `reasoning.*`, `tool.call.*`, then
 * exactly one `step.completed`. A batch is never empty and is not touched again once handed over. A
 * failure before the first batch is thrown as a HermesError (the route can still answer with a
 * status); a failure after it is thrown too, and the agent loop turns it into `run.failed`.
 */
export interface Upstream {
  /** `chat`, `responses` or `echo`: shown by `/health/detailed` and the start banner. */
  readonly kind: string;
  /** The upstream base URL, when there is one. */
  readonly baseURL?: string;
  stream(input: RunInput, options: UpstreamCallOptions): AsyncIterable<HermesEvent[]>;
  /**
   * Whether a call for `model` goes to an API that runs hosted tools (`web_search`, …) and carries
   * their items (the Responses API); absent: it does not. A router answers for the route's first target.
   */
  carriesHostedTools?(model: string): boolean;
  /**
   * Sends a `ForwardRequest` as it is and resolves with the upstream's JSON answer; absent on upstreams
   * that do not speak the Responses API. Failures as for `stream`, before the first byte.
   */
  forward?(request: ForwardRequest): Promise<unknown>;
  /** The model ids the upstream offers, for `/v1/models`. */
  listModels?(signal?: AbortSignal): Promise<string[]>;
  close(): Promise<void>;
}
