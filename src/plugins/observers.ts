import type { PluginHooks } from "../plugin-api/index.ts";
import { logger } from "../utils/logger.ts";

/** The hooks that observe requests, upstream calls, tool calls and storage: called, never awaited. */
export type ObservationHooks = Pick<PluginHooks, "onRequestStart" | "onRequestEnd" | "onUpstreamStart" | "onUpstreamEnd" | "onToolCall" | "onStorageOperation">;

type Kind = keyof ObservationHooks;

/**
 * Every observer's hooks merged per kind. A kind nobody defines stays undefined, so a call site reads
 * `observers.onToolCall?.(…)` and a proxy without observers pays one property read for it.
 */
export type Observers = { readonly [K in Kind]?: NonNullable<ObservationHooks[K]> };

const kinds: readonly Kind[] = ["onRequestStart", "onRequestEnd", "onUpstreamStart", "onUpstreamEnd", "onToolCall", "onStorageOperation"];

/** Something that observes: a plugin's hooks, or the proxy's own metrics and request log. */
export interface ObserverSource {
  /** Named in the error line when one of its hooks throws. */
  name: string;
  hooks: ObservationHooks | undefined;
}

/**
 * Merges observers, in order. A hook that throws or rejects is logged and never reaches the request:
 * observing must not change what the client gets. Undefined when no source defines any hook.
 *
 * @example
 * const observers = combineObservers([{ name: "metrics", hooks: metrics.hooks }, ...plugins.map((p) => ({ name: p.name, hooks: p.hooks }))]);
 * observers?.onToolCall?.(call, run);
 */
export function combineObservers(sources: readonly ObserverSource[]): Observers | undefined {
  const combined: Record<string, (...args: never[]) => void> = {};
  for (const kind of kinds) {
    const calls: ((...args: unknown[]) => void)[] = [];
    for (const { name, hooks } of sources) {
      const hook = hooks?.[kind] as ((...args: unknown[]) => unknown) | undefined;
      if (typeof hook === "function") calls.push(guarded(`${name} ${kind}`, hook.bind(hooks)));
    }
    if (calls.length === 1) combined[kind] = calls[0]!;
    else if (calls.length > 1)
      combined[kind] = (...args: unknown[]) => {
        for (const call of calls) call(...args);
      };
  }
  return Object.keys(combined).length > 0 ? (combined as Observers) : undefined;
}

function guarded(label: string, hook: (...args: unknown[]) => unknown): (...args: unknown[]) => void {
  const report = (error: unknown) => logger.error(`${label} hook failed:`, error);
  return (...args) => {
    try {
      const result = hook(...args);
      if (result instanceof Promise) result.catch(report);
    } catch (error) {
      report(error);
    }
  };
}
