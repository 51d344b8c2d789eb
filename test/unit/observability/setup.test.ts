import memoryDriver from "unstorage/drivers/memory";
import { describe, expect, it } from "vitest";
import { hermesConfigSchema, type HermesUserConfig } from "../../../src/config/schema.ts";
import { setupObservability } from "../../../src/observability/setup.ts";
import { combineObservers } from "../../../src/plugins/observers.ts";
import { captureLogs } from "../../../src/utils/logger.ts";
import otel from "../../../plugins/otel/index.ts";
import { definePlugin, defineStorage } from "../../../sdk/index.ts";

const setup = (input: HermesUserConfig) => setupObservability(hermesConfigSchema.parse(input), { version: "0.0.0", writeLog: () => {} });
const storage = defineStorage({ name: "memory", driver: memoryDriver() });

describe("observability costs nothing when nothing observes", () => {
  it("builds no observer, tracker or request context, and wraps neither the upstream nor the driver", () => {
    const observability = setup({});
    expect(observability).toMatchObject({ observers: undefined, tracker: undefined, requestContext: undefined, metrics: undefined });
    expect(observability.storage(storage)).toBe(storage);
    // Nothing for the upstream factory to wrap its upstreams with.
    expect(Object.values(observability.upstreamOptions).filter((value) => value !== undefined)).toEqual([]);
  });

  it("a plugin with only run hooks does not turn observation on", () => {
    const plugin = definePlugin({ name: "audit", hooks: { onRunEnd: () => {} } });
    expect(setup({ plugins: [plugin] }).observers).toBeUndefined();
  });

  it("metrics on: request tracking and timed storage, but no async request context", () => {
    const observability = setup({ metrics: { enabled: true, processMetrics: false } });
    expect(observability.tracker).toBeDefined();
    expect(observability.requestContext).toBeUndefined();
    expect(observability.storage(storage).driver).not.toBe(storage.driver);
  });

  it("a plugin observing storage gets the request context it needs", () => {
    const plugin = definePlugin({ name: "spans", hooks: { onStorageOperation: () => {} } });
    const observability = setup({ plugins: [plugin] });
    expect(observability.requestContext).toBeDefined();
    expect(observability.tracker).toBeUndefined();
    expect(setup({ plugins: [otel()] }).requestContext).toBeDefined();
    expect(setup({ plugins: [otel({ storageSpans: false })] }).requestContext).toBeUndefined();
  });
});

describe("combineObservers", () => {
  it("calls every observer in order, and a throwing one neither stops the others nor reaches the caller", async () => {
    const seen: string[] = [];
    const logs = captureLogs();
    const observers = combineObservers([
      { name: "first", hooks: { onToolCall: () => void seen.push("first") } },
      {
        name: "broken",
        hooks: {
          onToolCall: () => {
            throw new Error("boom");
          },
        },
      },
      {
        name: "async",
        hooks: {
          onToolCall: (async () => {
            throw new Error("later");
          }) as never,
        },
      },
      { name: "last", hooks: { onToolCall: () => void seen.push("last") } },
    ]);
    const call = { name: "t", callId: "c", startedAt: 0, durationMs: 1, isError: false };
    expect(() => observers?.onToolCall?.(call, { runId: "r", sessionId: undefined, model: "m", input: { model: "m", items: [], tools: [] } })).not.toThrow();
    expect(seen).toEqual(["first", "last"]);
    expect(observers?.onUpstreamEnd).toBeUndefined();
    await new Promise((resolve) => setImmediate(resolve));
    logs.restore();
    expect(logs.lines()).toEqual(["[hermes-proxy] broken onToolCall hook failed: Error: boom", "[hermes-proxy] async onToolCall hook failed: Error: later"]);
  });

  it("is undefined when no source defines a hook", () => {
    expect(
      combineObservers([
        { name: "none", hooks: {} },
        { name: "empty", hooks: undefined },
      ]),
    ).toBeUndefined();
  });
});
