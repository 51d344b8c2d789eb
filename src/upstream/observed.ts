import type { Observers } from "../plugins/observers.ts";
import { type HermesEvent, type RunInfo, type RunInput, toErrorInfo, type UpstreamCall, type UpstreamCallResult } from "../protocol/index.ts";
import type { Upstream, UpstreamCallOptions } from "./types.ts";

export interface ObserveUpstreamOptions {
  /** The upstream's configured name: a key of `upstreams`, or `default`. */
  name: string;
  observers: Observers;
  /** For the request log's debug contents only: the text of each message the upstream produced. */
  onOutputText?: ((run: RunInfo, text: string) => void) | undefined;
}

/**
 * Wraps one upstream so that each call is reported to `onUpstreamStart` and `onUpstreamEnd` (metrics,
 * traces, the request log): when it started, when its first event came, how it ended, its usage. Only
 * used when something observes upstream calls; otherwise the upstream is used bare and costs nothing.
 */
export function observeUpstream(inner: Upstream, options: ObserveUpstreamOptions): Upstream {
  const { onUpstreamStart, onUpstreamEnd } = options.observers;
  const { onOutputText, name } = options;
  if (!onUpstreamStart && !onUpstreamEnd && !onOutputText) return inner;
  const origin = originOf(inner.baseURL);

  async function* stream(input: RunInput, callOptions: UpstreamCallOptions): AsyncGenerator<HermesEvent, void, undefined> {
    const { run } = callOptions;
    // Hooks describe a call within a run; a bare call (tests, tools of our own) is not observed.
    if (run === undefined) return yield* inner.stream(input, callOptions);
    const call: UpstreamCall = { upstream: name, api: inner.kind, model: input.model, origin, attempt: callOptions.attempt ?? 0, startedAt: Date.now() };
    onUpstreamStart?.(call, run);
    const started = performance.now();
    const result: UpstreamCallResult = { outcome: "aborted", durationMs: 0, firstByteMs: undefined, usage: undefined, finishReason: undefined, error: undefined };
    try {
      for await (const event of inner.stream(input, callOptions)) {
        result.firstByteMs ??= performance.now() - started;
        if (event.type === "step.completed") {
          result.usage = event.usage;
          result.finishReason = event.finishReason;
        } else if (event.type === "message.completed" && onOutputText) onOutputText(run, event.text);
        yield event;
      }
      result.outcome = "ok";
    } catch (error) {
      if (!callOptions.signal.aborted) {
        result.outcome = "error";
        result.error = toErrorInfo(error);
      }
      throw error;
    } finally {
      result.durationMs = performance.now() - started;
      onUpstreamEnd?.(call, result, run);
    }
  }

  return {
    kind: inner.kind,
    ...(inner.baseURL !== undefined && { baseURL: inner.baseURL }),
    stream,
    ...(inner.listModels && { listModels: inner.listModels.bind(inner) }),
    close: () => inner.close(),
  };
}

/** Scheme, host and port: what traces may show of an upstream's address. */
function originOf(baseURL: string | undefined): string | undefined {
  if (baseURL === undefined) return undefined;
  try {
    return new URL(baseURL).origin;
  } catch {
    return undefined;
  }
}
