import type { Observers } from "../plugins/observers.ts";
import { type HermesEvent, toErrorInfo } from "../protocol/index.ts";
import { type RunInfo, type UpstreamCall, type UpstreamCallResult } from "../plugin-api/index.ts";
import type { Upstream } from "./types.ts";

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

  return {
    kind: inner.kind,
    ...(inner.baseURL !== undefined && { baseURL: inner.baseURL }),
    stream(input, callOptions) {
      const { run } = callOptions;
      // Hooks describe a call within a run; a bare call (tests, tools of our own) is not observed.
      if (run === undefined) return inner.stream(input, callOptions);
      const call: UpstreamCall = { upstream: name, api: inner.kind, model: input.model, origin, attempt: callOptions.attempt ?? 0, startedAt: Date.now() };
      onUpstreamStart?.(call, run);
      return new ObservedCall(inner.stream(input, callOptions)[Symbol.asyncIterator](), { call, run, signal: callOptions.signal, onUpstreamEnd, onOutputText });
    },
    ...(inner.forward && { forward: inner.forward.bind(inner) }),
    ...(inner.listModels && { listModels: inner.listModels.bind(inner) }),
    ...(inner.carriesHostedTools && { carriesHostedTools: inner.carriesHostedTools.bind(inner) }),
    close: () => inner.close(),
  };
}

interface CallWatch {
  call: UpstreamCall;
  run: RunInfo;
  signal: AbortSignal;
  onUpstreamEnd: Observers["onUpstreamEnd"];
  onOutputText: ObserveUpstreamOptions["onOutputText"];
}

/**
 * One observed call's batches: the upstream's own, passed through one `then` each. A hand-written
 * iterator rather than an async generator: this sits on every streamed read whenever anything observes
 * (the command's request log does), and a generator's extra layer costs about twice as much.
 */
class ObservedCall implements AsyncIterableIterator<HermesEvent[]> {
  readonly #batches: AsyncIterator<HermesEvent[]>;
  readonly #watch: CallWatch;
  readonly #started = performance.now();
  readonly #result: UpstreamCallResult = {
    outcome: "aborted",
    durationMs: 0,
    firstByteMs: undefined,
    usage: undefined,
    finishReason: undefined,
    error: undefined,
  };
  #ended = false;

  constructor(batches: AsyncIterator<HermesEvent[]>, watch: CallWatch) {
    this.#batches = batches;
    this.#watch = watch;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<HermesEvent[]>> {
    return this.#batches.next().then(
      (next) => {
        if (next.done) this.#end("ok", undefined);
        else this.#see(next.value);
        return next;
      },
      (error: unknown) => {
        this.#end(this.#watch.signal.aborted ? "aborted" : "error", error);
        throw error;
      },
    );
  }

  /** The consumer stopped early (the client went away, or a step ended the loop). */
  return(value?: unknown): Promise<IteratorResult<HermesEvent[]>> {
    this.#end("aborted", undefined);
    return this.#batches.return?.(value) ?? Promise.resolve({ done: true, value: undefined });
  }

  #see(batch: HermesEvent[]): void {
    const result = this.#result;
    result.firstByteMs ??= performance.now() - this.#started;
    for (const event of batch) {
      if (event.type === "step.completed") {
        result.usage = event.usage;
        result.finishReason = event.finishReason;
      } else if (event.type === "message.completed") this.#watch.onOutputText?.(this.#watch.run, event.text);
    }
  }

  #end(outcome: UpstreamCallResult["outcome"], error: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    const result = this.#result;
    result.outcome = outcome;
    if (outcome === "error") result.error = toErrorInfo(error);
    result.durationMs = performance.now() - this.#started;
    this.#watch.onUpstreamEnd?.(this.#watch.call, result, this.#watch.run);
  }
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
