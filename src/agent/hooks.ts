import { HermesError, type HermesEvent, type RunFailedEvent, toErrorInfo } from "../protocol/index.ts";
import { type RunInfo } from "../plugin-api/index.ts";
import type { RunHooks } from "../plugins/registry.ts";
import { logger } from "../utils/logger.ts";

/**
 * The plugins' hooks on a run, called by the agent loop itself as its batches go out (no layer of
 * their own between the loop and its consumer). Only used when some plugin has hooks. `onRunStart` is
 * awaited before the first upstream call and may fail the run by throwing; `onEvent` and `onRunEnd` are
 * called once per event, synchronously, before its batch is handed on, and not awaited, so an observer
 * never slows the stream; their failures are logged, never the run's.
 */
export class RunObserver {
  readonly #hooks: RunHooks;
  readonly #run: RunInfo;

  constructor(hooks: RunHooks, run: RunInfo) {
    this.#hooks = hooks;
    this.#run = run;
  }

  /** Runs `onRunStart`; returns the `run.failed` to end the run with when a hook refused it. */
  async start(): Promise<RunFailedEvent | undefined> {
    if (this.#hooks.onRunStart.length === 0) return undefined;
    try {
      for (const hook of this.#hooks.onRunStart) await hook(this.#run);
      return undefined;
    } catch (error) {
      // A HermesError is a hook refusing the run on purpose; anything else is a bug in the hook.
      if (!HermesError.is(error)) logger.error("onRunStart hook failed:", error);
      return { type: "run.failed", error: toErrorInfo(error) };
    }
  }

  /** Shows a batch to `onEvent`, and its terminal event to `onRunEnd`. Returns the batch. */
  see(batch: HermesEvent[]): HermesEvent[] {
    const { onEvent, onRunEnd } = this.#hooks;
    const run = this.#run;
    for (const event of batch) {
      for (const hook of onEvent) guard("onEvent", () => hook(event, run));
      if (event.type === "run.completed" || event.type === "run.failed") for (const hook of onRunEnd) guard("onRunEnd", () => hook(run, event));
    }
    return batch;
  }
}

function guard(name: string, call: () => void | Promise<void>): void {
  try {
    const result = call();
    if (result instanceof Promise) result.catch((error: unknown) => logger.error(`${name} hook failed:`, error));
  } catch (error) {
    logger.error(`${name} hook failed:`, error);
  }
}
