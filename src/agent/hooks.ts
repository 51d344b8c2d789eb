import { HermesError, type HermesEvent, type RunFailedEvent, toErrorInfo } from "../protocol/index.ts";
import { type RunInfo } from "../plugin-api/index.ts";
import type { RunHooks } from "../plugins/registry.ts";
import { logger } from "../utils/logger.ts";

/**
 * Wraps a run's events with the plugins' hooks. Only used when some plugin has hooks: a proxy without
 * them iterates the loop directly. `onRunStart` is awaited before the first upstream call and may fail
 * the run by throwing; `onEvent` and `onRunEnd` are not awaited, so an observer never slows the
 * stream, and their failures are logged, never the run's.
 */
export async function* observeRun(events: AsyncGenerator<HermesEvent, void, undefined>, hooks: RunHooks, run: RunInfo): AsyncGenerator<HermesEvent, void, undefined> {
  try {
    for (;;) {
      const next = await events.next();
      if (next.done) return;
      const event = next.value;
      if (event.type === "run.started" && hooks.onRunStart.length > 0) {
        const refused = await startHooks(hooks, run);
        if (refused) {
          notify(hooks, event, run);
          yield event;
          notify(hooks, refused, run);
          ended(hooks, refused, run);
          yield refused;
          return;
        }
      }
      notify(hooks, event, run);
      if (event.type === "run.completed" || event.type === "run.failed") ended(hooks, event, run);
      yield event;
    }
  } finally {
    await events.return();
  }
}

async function startHooks(hooks: RunHooks, run: RunInfo): Promise<RunFailedEvent | undefined> {
  try {
    for (const hook of hooks.onRunStart) await hook(run);
    return undefined;
  } catch (error) {
    // A HermesError is a hook refusing the run on purpose; anything else is a bug in the hook.
    if (!HermesError.is(error)) logger.error("onRunStart hook failed:", error);
    return { type: "run.failed", error: toErrorInfo(error) };
  }
}

function notify(hooks: RunHooks, event: HermesEvent, run: RunInfo): void {
  for (const hook of hooks.onEvent) guard("onEvent", () => hook(event, run));
}

function ended(hooks: RunHooks, event: Parameters<RunHooks["onRunEnd"][number]>[1], run: RunInfo): void {
  for (const hook of hooks.onRunEnd) guard("onRunEnd", () => hook(run, event));
}

function guard(name: string, call: () => void | Promise<void>): void {
  try {
    const result = call();
    if (result instanceof Promise) result.catch((error: unknown) => logger.error(`${name} hook failed:`, error));
  } catch (error) {
    logger.error(`${name} hook failed:`, error);
  }
}
