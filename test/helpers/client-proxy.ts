import { createStorage } from "unstorage";
import memoryDriver from "unstorage/drivers/memory";
import { afterAll, afterEach, beforeAll } from "vitest";
import calculator from "../../plugins/tool-calculator/index.ts";
import clock from "../../plugins/tool-clock/index.ts";
import { defineStorage } from "../../sdk/index.ts";
import type { HermesUserConfig } from "../../src/config/schema.ts";
import { type FakeToolCall, type FakeUpstream, type RecordedRequest, startFakeUpstream } from "./fake-upstream.ts";
import { startProxy, type TestProxy } from "./proxy.ts";

/** The instant the clock plugin reads in client tests: its answer is known in advance. */
export const CLOCK_NOW = new Date("2026-03-14T15:09:26Z");

/** The proxy's API key in client tests (sessions need one), which every client sends. */
export const CLIENT_API_KEY = "sk-hermes-client-tests";

export interface ClientSetup {
  readonly upstream: FakeUpstream;
  readonly proxy: TestProxy;
  /** `http://127.0.0.1:PORT/v1`, what an SDK takes as its base URL. */
  readonly baseURL: string;
  /** The proxy's API key: `CLIENT_API_KEY`. */
  readonly apiKey: string;
  /** Every key the proxy has stored under `prefix` (`responses:`, `conversations:`, `session-items:`, …). */
  storedKeys(prefix: string): Promise<string[]>;
  /** One stored record as the proxy wrote it. */
  stored(key: string): Promise<unknown>;
}

/**
 * The proxy as a user runs it for a real client, one per test file: a fake upstream of the given API
 * behind it, an API key (`CLIENT_API_KEY`), the clock and calculator server tools (`get_current_time`, `calculate`), and a memory
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
      server: { apiKey: CLIENT_API_KEY },
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
    apiKey: CLIENT_API_KEY,
    storedKeys: (prefix) => storage.getKeys(prefix),
    stored: (key) => storage.getItem(key),
  };
}

/**
 * The requests of one test: those whose body mentions `marker` (a phrase only that test's prompt has).
 * A client that gave up halfway (a failing test) can leave a run going in the proxy; its requests
 * do not count for the next test.
 */
export function requestsFor(upstream: FakeUpstream, marker: string): RecordedRequest[] {
  return upstream.requests.filter((request) => JSON.stringify(request.body ?? null).includes(marker));
}

/** The tool results a model request carries, from Chat `tool` messages or Responses `function_call_output` items. */
export function toolOutputsOf(request: RecordedRequest): { callId: string; output: string }[] {
  const body = request.body ?? {};
  if (Array.isArray(body.messages))
    return (body.messages as { role: string; tool_call_id?: string; content?: unknown }[])
      .filter((message) => message.role === "tool")
      .map((message) => ({
        callId: message.tool_call_id ?? "",
        output: typeof message.content === "string" ? message.content : JSON.stringify(message.content),
      }));
  if (Array.isArray(body.input))
    return (body.input as { type?: string; call_id?: string; output?: unknown }[])
      .filter((item) => item.type === "function_call_output")
      .map((item) => ({ callId: item.call_id ?? "", output: typeof item.output === "string" ? item.output : JSON.stringify(item.output) }));
  return [];
}

/**
 * Scripts one tool round for the requests that mention `marker`: the model calls `call` while the
 * history has no tool result yet, then answers `answer`. Other requests get the default echo.
 */
export function scriptToolRound(upstream: FakeUpstream, marker: string, call: FakeToolCall, answer: string): void {
  upstream.script((request) => {
    if (!JSON.stringify(request.body ?? null).includes(marker)) return undefined;
    return toolOutputsOf(request).length === 0 ? { toolCalls: [call] } : { text: answer };
  });
}
