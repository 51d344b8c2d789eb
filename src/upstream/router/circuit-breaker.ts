/** The breaker's settings (`routing.circuitBreaker`) and its clock. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  failures: number;
  /** How long an open circuit skips the upstream before one call may try it again. */
  cooldownMs: number;
  /** Epoch ms; tests pass a fake clock. @default Date.now */
  now?: () => number;
}

export type CircuitState = "closed" | "open" | "half_open";

/**
 * One upstream's circuit breaker. Closed: calls go through and consecutive failures are counted.
 * After `failures` of them it opens: calls are refused for `cooldownMs`. Then it is half open: one call
 * goes through as a trial; its success closes the circuit, its failure opens it for another cool-down.
 * Only upstream-side failures count (see `failure.ts`); a client's own mistake or an abort says nothing
 * about the upstream's health and is `released`.
 *
 * @example
 * const breaker = new CircuitBreaker({ failures: 5, cooldownMs: 30_000 });
 * if (breaker.allow()) try { await call(); breaker.succeeded(); } catch { breaker.failed(); }
 */
export class CircuitBreaker {
  readonly #threshold: number;
  readonly #cooldownMs: number;
  readonly #now: () => number;
  #failures = 0;
  #openUntil = 0;
  #trial = false;

  constructor(options: CircuitBreakerOptions) {
    this.#threshold = options.failures;
    this.#cooldownMs = options.cooldownMs;
    this.#now = options.now ?? Date.now;
  }

  get state(): CircuitState {
    if (this.#failures < this.#threshold) return "closed";
    return this.#now() < this.#openUntil ? "open" : "half_open";
  }

  /** Milliseconds until an open circuit lets a trial through; 0 when it would now. */
  get retryAfterMs(): number {
    return this.state === "open" ? this.#openUntil - this.#now() : 0;
  }

  /** May a call go through now? Half open, only one at a time: the trial. */
  allow(): boolean {
    const state = this.state;
    if (state === "closed") return true;
    if (state === "open" || this.#trial) return false;
    this.#trial = true;
    return true;
  }

  /** The call got its first byte: the upstream works. */
  succeeded(): void {
    this.#failures = 0;
    this.#openUntil = 0;
    this.#trial = false;
  }

  /** The call failed on the upstream's side. */
  failed(): void {
    this.#failures++;
    this.#trial = false;
    if (this.#failures >= this.#threshold) this.#openUntil = this.#now() + this.#cooldownMs;
  }

  /** The call ended in a way that says nothing about the upstream (a client error, an abort). */
  released(): void {
    this.#trial = false;
  }
}
