import { describe, expect, it } from "vitest";
import { CircuitBreaker } from "../../../../src/upstream/router/circuit-breaker.ts";

function fakeClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe("CircuitBreaker", () => {
  it("opens after N consecutive failures and lets one trial through after the cool-down", () => {
    const clock = fakeClock();
    const breaker = new CircuitBreaker({ failures: 3, cooldownMs: 10_000, now: clock.now });
    for (let i = 0; i < 2; i++) {
      expect(breaker.allow()).toBe(true);
      breaker.failed();
    }
    expect(breaker.state).toBe("closed");
    expect(breaker.allow()).toBe(true);
    breaker.failed();
    expect(breaker.state).toBe("open");
    expect(breaker.allow()).toBe(false);
    expect(breaker.retryAfterMs).toBe(10_000);

    clock.advance(9_999);
    expect(breaker.allow()).toBe(false);
    clock.advance(1);
    expect(breaker.state).toBe("half_open");
    expect(breaker.allow()).toBe(true);
    // One trial at a time.
    expect(breaker.allow()).toBe(false);
    breaker.succeeded();
    expect(breaker.state).toBe("closed");
    expect(breaker.allow()).toBe(true);
  });

  it("a failed trial opens the circuit for another cool-down", () => {
    const clock = fakeClock();
    const breaker = new CircuitBreaker({ failures: 1, cooldownMs: 5_000, now: clock.now });
    breaker.failed();
    clock.advance(5_000);
    expect(breaker.allow()).toBe(true);
    breaker.failed();
    expect(breaker.state).toBe("open");
    expect(breaker.retryAfterMs).toBe(5_000);
    clock.advance(5_000);
    expect(breaker.allow()).toBe(true);
  });

  it("a success resets the count: only consecutive failures open it", () => {
    const breaker = new CircuitBreaker({ failures: 2, cooldownMs: 1_000, now: fakeClock().now });
    breaker.failed();
    breaker.succeeded();
    breaker.failed();
    expect(breaker.state).toBe("closed");
  });

  it("a released trial (client error, abort) frees the slot without changing the state", () => {
    const clock = fakeClock();
    const breaker = new CircuitBreaker({ failures: 1, cooldownMs: 1_000, now: clock.now });
    breaker.failed();
    clock.advance(1_000);
    expect(breaker.allow()).toBe(true);
    breaker.released();
    expect(breaker.state).toBe("half_open");
    expect(breaker.allow()).toBe(true);
  });
});
