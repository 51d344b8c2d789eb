/**
 * Calls `onGone` once when the client of a run goes away, and returns the function that stops watching.
 * The server builds one from its request (`watchClient`); the runtime knows no HTTP.
 */
export type ClientWatch = (onGone: (reason?: unknown) => void) => () => void;

/** A ClientWatch over an abort signal: for background work and callers holding only a signal. */
export function watchSignal(signal: AbortSignal, onGone: (reason?: unknown) => void): () => void {
  const onAbort = () => onGone(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  if (signal.aborted) onAbort();
  return () => signal.removeEventListener("abort", onAbort);
}

/**
 * In-flight bookkeeping for `/health/detailed` and graceful shutdown. Every run gets its own abort
 * controller, aborted when its client goes away or when the drain wait runs out; a run aborted that
 * way ends in `run.failed`, so its stream still closes with the format's error frame.
 */
export class Lifecycle {
  requestsInFlight = 0;
  draining = false;
  readonly #runs = new Set<AbortController>();
  readonly #idle = new Set<() => void>();
  /** Work that shutdown waits for but cannot stop (`hold`). */
  #held = 0;

  /**
   * A signal for one run: aborted by the client's disconnect (a watch the server builds from the
   * request, or a signal) or by shutdown. Call `release` when the run is over. The server passes a
   * watch rather than the request's signal: the run's controller is then the only one the request builds.
   */
  runSignal(client: ClientWatch | AbortSignal | undefined): { signal: AbortSignal; release: () => void } {
    const controller = new AbortController();
    const onGone = (reason?: unknown) => controller.abort(reason);
    const unwatch = client === undefined ? undefined : client instanceof AbortSignal ? watchSignal(client, onGone) : client(onGone);
    this.#runs.add(controller);
    return {
      signal: controller.signal,
      release: () => {
        unwatch?.();
        if (this.#runs.delete(controller)) this.#notifyIfIdle();
      },
    };
  }

  /**
   * Keeps shutdown waiting for work that has nothing to abort, such as a write after the answer went
   * out; cheaper than `runSignal(undefined)`, which builds a controller. Call `release` once, when done.
   */
  hold(): { release: () => void } {
    this.#held++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#held--;
        this.#notifyIfIdle();
      },
    };
  }

  requestStarted(): void {
    this.requestsInFlight++;
  }

  requestFinished(): void {
    this.requestsInFlight--;
    this.#notifyIfIdle();
  }

  get busy(): boolean {
    return this.requestsInFlight > 0 || this.#runs.size > 0 || this.#held > 0;
  }

  /** Refuse new work, wait up to `timeoutMs` for what is running, then abort the rest with `reason`. */
  async drain(timeoutMs: number, reason: unknown): Promise<void> {
    this.draining = true;
    await this.#waitIdle(timeoutMs);
    for (const controller of this.#runs) controller.abort(reason);
    // Aborted runs still write their terminal frames; give them a moment to flush.
    await this.#waitIdle(1_000);
  }

  async #waitIdle(timeoutMs: number): Promise<void> {
    if (!this.busy) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.#idle.add(resolve);
      timer = setTimeout(resolve, timeoutMs);
    });
    clearTimeout(timer);
  }

  #notifyIfIdle(): void {
    if (this.busy) return;
    for (const resolve of this.#idle) resolve();
    this.#idle.clear();
  }
}
