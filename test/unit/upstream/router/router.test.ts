import { describe, expect, it } from "vitest";
import { hermesConfigSchema } from "../../../../src/config/schema.ts";
import { HermesError, type HermesEvent, type RunInput } from "../../../../src/protocol/index.ts";
import { statusError, transportError } from "../../../../src/upstream/http-errors.ts";
import { buildRoutes, createRouterUpstream, type FallbackEvent } from "../../../../src/upstream/router/index.ts";
import type { Upstream } from "../../../../src/upstream/types.ts";

type Behaviour = "answer" | HermesError | { failAfterFirst: HermesError };

/** An in-memory upstream that plays one behaviour per call and records what it was asked. */
function scripted(kind: string, behaviours: Behaviour[]) {
  const calls: RunInput[] = [];
  const upstream: Upstream = {
    kind,
    async *stream(input) {
      calls.push(input);
      const behaviour = behaviours.shift() ?? "answer";
      if (behaviour instanceof HermesError) throw behaviour;
      yield [{ type: "message.started", itemId: "msg_1" }];
      if (typeof behaviour === "object") throw behaviour.failAfterFirst;
      yield [
        { type: "text.delta", itemId: "msg_1", delta: `from ${kind}` },
        { type: "message.completed", itemId: "msg_1", text: `from ${kind}` },
        { type: "step.completed", finishReason: "stop", usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 } },
      ];
    },
    async close() {},
  };
  return { upstream, calls };
}

const input = (model: string, extra: Partial<RunInput> = {}): RunInput => ({ model, items: [], tools: [], ...extra });
const signal = new AbortController().signal;
const serverError = () => statusError(500, "", undefined, undefined);
const refused = () =>
  transportError(Object.assign(new Error("refused"), { code: "ECONNREFUSED" }), { connectTimeoutMs: 1, headersTimeoutMs: 1, idleTimeoutMs: 1 });

async function collect(batches: AsyncIterable<HermesEvent[]>): Promise<HermesEvent[]> {
  const seen: HermesEvent[] = [];
  for await (const batch of batches) seen.push(...batch);
  return seen;
}

function setup(options: { a?: Behaviour[]; b?: Behaviour[]; c?: Behaviour[]; failures?: number; fallbackOn?: string[]; now?: () => number } = {}) {
  const config = hermesConfigSchema.parse({
    upstreams: { a: { baseURL: "http://a.test/v1" }, b: { baseURL: "http://b.test/v1" }, c: { baseURL: "http://c.test/v1" } },
    models: {
      smart: {
        upstream: "a",
        model: "a-large",
        fallbacks: [
          { upstream: "b", model: "b-large" },
          { upstream: "c", model: "c-large" },
        ],
        defaults: { temperature: 0.2 },
      },
      solo: { upstream: "b", model: "b-small" },
    },
    routing: {
      ...(options.fallbackOn && { fallbackOn: options.fallbackOn }),
      circuitBreaker: { failures: options.failures ?? 5, cooldownMs: 30_000 },
    },
  });
  const a = scripted("a", options.a ?? []);
  const b = scripted("b", options.b ?? []);
  const c = scripted("c", options.c ?? []);
  const fallbacks: FallbackEvent[] = [];
  const router = createRouterUpstream({
    routes: buildRoutes(config.models),
    upstreams: new Map([
      ["a", a.upstream],
      ["b", b.upstream],
      ["c", c.upstream],
    ]),
    fallbackOn: config.routing.fallbackOn,
    circuitBreaker: config.routing.circuitBreaker,
    now: options.now,
    onFallback: (event) => fallbacks.push(event),
  });
  return { router, a, b, c, fallbacks };
}

describe("the router", () => {
  it("sends the route's own model name to its first upstream, with the route's defaults", async () => {
    const { router, a, b } = setup();
    const events = await collect(router.stream(input("smart"), { signal }));
    expect(events.find((event) => event.type === "message.completed")).toMatchObject({ text: "from a" });
    expect(a.calls).toMatchObject([{ model: "a-large", temperature: 0.2 }]);
    expect(b.calls).toEqual([]);
    // A setting the request made wins over the route's default.
    await collect(router.stream(input("smart", { temperature: 0.9 }), { signal }));
    expect(a.calls[1]).toMatchObject({ temperature: 0.9 });
  });

  it("falls back in order, each target with its own model, on failures before the first byte", async () => {
    const { router, a, b, c, fallbacks } = setup({ a: [serverError()], b: [refused()] });
    const events = await collect(router.stream(input("smart"), { signal }));
    expect(events.find((event) => event.type === "message.completed")).toMatchObject({ text: "from c" });
    expect([a.calls[0]?.model, b.calls[0]?.model, c.calls[0]?.model]).toEqual(["a-large", "b-large", "c-large"]);
    expect(fallbacks).toEqual([
      { model: "smart", from: { upstream: "a", model: "a-large" }, to: { upstream: "b", model: "b-large" }, reason: "5xx" },
      { model: "smart", from: { upstream: "b", model: "b-large" }, to: { upstream: "c", model: "c-large" }, reason: "connection" },
    ]);
  });

  it("never retries after the first byte: the client gets that upstream's terminal error", async () => {
    const { router, a, b } = setup({ a: [{ failAfterFirst: serverError() }] });
    const seen: HermesEvent[] = [];
    await expect(
      (async () => {
        for await (const batch of router.stream(input("smart"), { signal })) seen.push(...batch);
      })(),
    ).rejects.toMatchObject({ status: 502, code: "upstream_error" });
    expect(seen.map((event) => event.type)).toEqual(["message.started"]);
    expect(b.calls).toEqual([]);
    expect(a.calls).toHaveLength(1);
  });

  it("does not fall back on what the request itself got wrong, nor on reasons fallbackOn leaves out", async () => {
    const badRequest = statusError(400, '{"error":{"message":"context too long","code":"context_length_exceeded"}}', undefined, undefined);
    const first = setup({ a: [badRequest] });
    await expect(collect(first.router.stream(input("smart"), { signal }))).rejects.toMatchObject({ status: 400, code: "context_length_exceeded" });
    expect(first.b.calls).toEqual([]);

    const second = setup({ a: [statusError(429, "", undefined, undefined)], fallbackOn: ["5xx"] });
    await expect(collect(second.router.stream(input("smart"), { signal }))).rejects.toMatchObject({ status: 429 });
    expect(second.b.calls).toEqual([]);
  });

  it("throws the last failure when every target failed", async () => {
    const { router } = setup({ a: [serverError()], b: [serverError()], c: [statusError(429, "", undefined, undefined)] });
    await expect(collect(router.stream(input("smart"), { signal }))).rejects.toMatchObject({ status: 429 });
  });

  it("does not fall back once the client has gone away", async () => {
    const controller = new AbortController();
    const { router, b } = setup({ a: [serverError()] });
    controller.abort();
    await expect(collect(router.stream(input("smart"), { signal: controller.signal }))).rejects.toMatchObject({ code: "upstream_error" });
    expect(b.calls).toEqual([]);
  });

  it("skips an upstream whose circuit is open, and tries it again after the cool-down (fake clock)", async () => {
    let now = 0;
    const { router, a, b } = setup({ a: [serverError(), serverError()], failures: 2, now: () => now });
    await collect(router.stream(input("smart"), { signal }));
    await collect(router.stream(input("smart"), { signal }));
    expect(a.calls).toHaveLength(2);
    expect(router.upstreamStates().find((state) => state.name === "a")?.circuit).toBe("open");

    // Open: straight to the fallback, the failing upstream is not called.
    await collect(router.stream(input("smart"), { signal }));
    expect(a.calls).toHaveLength(2);
    expect(b.calls).toHaveLength(3);

    now += 30_000;
    const events = await collect(router.stream(input("smart"), { signal }));
    expect(events.find((event) => event.type === "message.completed")).toMatchObject({ text: "from a" });
    expect(router.upstreamStates().find((state) => state.name === "a")?.circuit).toBe("closed");
  });

  it("fails fast with 503 upstream_unavailable and Retry-After when every target is cooling down", async () => {
    let now = 0;
    const { router, b } = setup({ b: [serverError()], failures: 1, now: () => now });
    await expect(collect(router.stream(input("solo"), { signal }))).rejects.toMatchObject({ status: 502 });
    now += 12_500;
    await expect(collect(router.stream(input("solo"), { signal }))).rejects.toMatchObject({
      status: 503,
      code: "upstream_unavailable",
      headers: { "retry-after": "18" },
    });
    expect(b.calls).toHaveLength(1);
  });

  it("answers 404 model_not_found for a model it has no route for", async () => {
    const { router } = setup();
    await expect(collect(router.stream(input("nope"), { signal }))).rejects.toMatchObject({ status: 404, code: "model_not_found" });
  });
});
