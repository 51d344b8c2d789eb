const done: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * Values pushed by one side, read back as an async iterator by the other. Unbounded: what pushes is
 * bounded by its own work (a run's events, a background response's frames); `return()` stops reading
 * and drops what is queued.
 */
export class AsyncQueue<T> implements AsyncIterator<T, undefined> {
  readonly #queued: T[] = [];
  #ended = false;
  #wake: (() => void) | undefined;
  /** Called once when the reader stops early (`return()`). */
  onReturn: (() => void) | undefined;

  push(value: T): void {
    if (this.#ended) return;
    this.#queued.push(value);
    this.#wakeReader();
  }

  end(): void {
    this.#ended = true;
    this.#wakeReader();
  }

  async next(): Promise<IteratorResult<T, undefined>> {
    for (;;) {
      if (this.#queued.length > 0) return { done: false, value: this.#queued.shift() as T };
      if (this.#ended) return done;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  async return(): Promise<IteratorResult<T, undefined>> {
    this.#queued.length = 0;
    this.end();
    this.onReturn?.();
    this.onReturn = undefined;
    return done;
  }

  #wakeReader(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
