import type { HermesUserConfig } from "../../src/config/schema.ts";
import type { CreateHermesOptions } from "../../src/index.ts";
import { type FakeUpstream, startFakeUpstream } from "./fake-upstream.ts";
import { startProxy, type TestProxy } from "./proxy.ts";

/** Keys the fake providers require; tests check that neither ever shows in logs, metrics or spans. */
export const alphaKey = "sk-alpha-secret-0123456789abcdef";
export const betaKey = "sk-beta-secret-fedcba9876543210";

export interface TwoProviders {
  /** A Chat Completions provider: serves `smart` first. */
  alpha: FakeUpstream;
  /** A Responses API provider: serves `fast`, and `smart` when alpha fails. */
  beta: FakeUpstream;
  proxy: TestProxy;
  /** Moves the circuit breakers' clock. */
  advance(ms: number): void;
  close(): Promise<void>;
}

/**
 * docs/configuration.md's "two providers with a fallback", on two fake upstreams: `smart` goes to alpha's
 * `alpha-large` and falls back to beta's `beta-large`; `fast` goes to beta's `beta-small`. No upstream
 * retries, so a failure falls back at once; an upstream's circuit opens after 2 failures for 10 s of
 * the fake clock.
 */
export async function startTwoProviders(extra: HermesUserConfig = {}, options: CreateHermesOptions = {}): Promise<TwoProviders> {
  const alpha = await startFakeUpstream({ apiKey: alphaKey });
  const beta = await startFakeUpstream({ apiKey: betaKey });
  let now = 1_000_000;
  const proxy = await startProxy(
    {
      ...extra,
      upstreams: {
        alpha: { baseURL: alpha.url, apiKey: alphaKey, maxRetries: 0 },
        beta: { baseURL: beta.url, apiKey: betaKey, api: "responses", maxRetries: 0 },
      },
      models: {
        smart: { upstream: "alpha", model: "alpha-large", fallbacks: [{ upstream: "beta", model: "beta-large" }] },
        fast: { upstream: "beta", model: "beta-small", defaults: { temperature: 0.3 } },
      },
      routing: { circuitBreaker: { failures: 2, cooldownMs: 10_000 } },
    },
    { now: () => now, ...options },
  );
  return {
    alpha,
    beta,
    proxy,
    advance: (ms) => void (now += ms),
    async close() {
      await proxy.close();
      await Promise.all([alpha.close(), beta.close()]);
    },
  };
}
