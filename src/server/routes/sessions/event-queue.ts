import type { HermesEvent } from "../../../protocol/index.ts";

const done: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * A run's events as they are pushed (by `RunHooks.onEvent`), read back by the route that started the
 * run in batches: everything queued since the last read. Unbounded, but a run's events are bounded by
 * the run; `return()` stops reading and drops what is queued.
 */
export class EventQueue implements AsyncIterator<HermesEvent[]> {
  #queued: HermesEvent[] = [];
  #ended = false;
  #wake: (() => void) | undefined;
  /** A terminal event went through: the run's end needs no stand-in. */
  sawTerminal = false;

  push(event: HermesEvent): void {
    if (this.#ended) return;
    if (event.type === "run.completed" || event.type === "run.failed") this.sawTerminal = true;
    this.#queued.push(event);
    this.#wakeReader();
  }

  end(): void {
    this.#ended = true;
    this.#wakeReader();
  }

  async next(): Promise<IteratorResult<HermesEvent[]>> {
    for (;;) {
      const batch = this.#queued;
      if (batch.length > 0) {
        this.#queued = [];
        return { done: false, value: batch };
      }
      if (this.#ended) return done;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  async return(): Promise<IteratorResult<HermesEvent[]>> {
    this.#queued = [];
    this.end();
    return done;
  }

  #wakeReader(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
