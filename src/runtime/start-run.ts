import { runAgent } from "../agent/loop.ts";
import type { HermesEvent, RunInput } from "../protocol/index.ts";
import type { NewId } from "../utils/index.ts";
import type { RuntimeContext } from "./context.ts";
import type { ClientWatch } from "./lifecycle.ts";

export interface RunSettings {
  runId: string;
  /** The model name reported to the client. */
  model: string;
  /** Unix seconds. */
  createdAt: number;
  sessionId: string;
  requestId: string | undefined;
  /** The client reads the run as it goes; `false` lets the upstream answer each step whole. */
  stream: boolean;
  /** `X-Hermes-Session-Key`, for tools and hooks. */
  sessionKey?: string | undefined;
  /** The ids of the items the run produces. @default random ids */
  newId?: NewId | undefined;
}

export interface StartedRun {
  batches: AsyncGenerator<HermesEvent[], void, undefined>;
  /** Call once the run's events are consumed (or abandoned): shutdown waits for it. */
  release(): void;
}

/** Starts a request's run: the agent loop under the run's own signal, stopped when `client` goes away or at shutdown. */
export function startRun(context: RuntimeContext, input: RunInput, settings: RunSettings, client: ClientWatch | AbortSignal): StartedRun {
  const { config, upstream, registry, lifecycle } = context;
  const run = lifecycle.runSignal(client);
  const batches = runAgent(input, {
    upstream,
    registry,
    signal: run.signal,
    maxIterations: config.agent.maxIterations,
    toolTimeoutMs: config.agent.toolTimeoutMs,
    ...settings,
  });
  return { batches, release: run.release };
}
