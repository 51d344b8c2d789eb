import { createStorage } from "unstorage";
import memoryDriver from "unstorage/drivers/memory";
import { afterAll, afterEach, beforeAll } from "vitest";
import calculator from "../../plugins/tool-calculator/index.ts";
import clock from "../../plugins/tool-clock/index.ts";
import { defineStorage } from "../../sdk/index.ts";
import type { HermesUserConfig } from "../../src/config/schema.ts";
import { type FakeUpstream, startFakeUpstream } from "./fake-upstream.ts";
import { startProxy, type TestProxy } from "./proxy.ts";

/** The instant the clock plugin reads in client tests: its answer is known in advance. */
export const CLOCK_NOW = new Date("2026-03-14T15:09:26Z");

export interface ClientSetup {
  readonly upstream: FakeUpstream;
  readonly proxy: TestProxy;
  /** `http://127.0.0.1:PORT/v1`, what an SDK takes as its base URL. */
  readonly baseURL: string;
  /** Every key the proxy has stored under `prefix` (`responses:`, `conversations:`, `session-items:`, …). */
  storedKeys(prefix: string): Promise<string[]>;
  /** One stored record as the proxy wrote it. */
  stored(key: string): Promise<unknown>;
}

/**
 * The proxy as a user runs it for a real client, one per test file: a fake upstream of the given API
 * behind it, the clock and calculator server tools (`get_current_time`, `calculate`), and a memory
 * storage that the test can read to see what the proxy kept. The fake upstream forgets its queue and
 * its recorded requests after each test.
 */
export function useClientProxy(api: "chat" | "responses", overrides: Partial<HermesUserConfig> = {}): ClientSetup {
  let upstream: FakeUpstream | undefined;
  let proxy: TestProxy | undefined;
  const driver = memoryDriver();
  const storage = createStorage({ driver });
  beforeAll(async () => {
    upstream = await startFakeUpstream();
    proxy = await startProxy({
      upstream: { baseURL: upstream.url, model: "fake-model", api, maxRetries: 0 },
      plugins: [clock({ now: () => CLOCK_NOW }), calculator(), defineStorage({ name: "memory", driver, description: "memory (client tests)" })],
      ...overrides,
    });
  });
  afterEach(() => upstream?.reset());
  afterAll(async () => {
    await proxy?.close();
    await upstream?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("useClientProxy: read its fields inside a test or hook");
    return value;
  };
  return {
    get upstream() {
      return started(upstream);
    },
    get proxy() {
      return started(proxy);
    },
    get baseURL() {
      return `${started(proxy).url}/v1`;
    },
    storedKeys: (prefix) => storage.getKeys(prefix),
    stored: (key) => storage.getItem(key),
  };
}
