import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type HermesConfig, upstreamConfigSchema } from "../../src/config/schema.ts";
import { HermesError, type HermesEvent, type RunInput } from "../../src/protocol/index.ts";
import type { Upstream } from "../../src/upstream/types.ts";
import { expectWellFormedStep } from "./event-invariants.ts";
import { type FakeCompletion, type FakeReply, type FakeUpstream, startFakeUpstream } from "./fake-upstream.ts";
import { collectEvents, collectFailure, upstreamEvents } from "./upstream-calls.ts";

type UpstreamSettings = HermesConfig["upstream"];

/**
 * One upstream API under the shared suite: how to make it, and the few facts that differ between APIs
 * (the path, the request body, how reasoning streams, what a broken stream of it looks like).
 */
export interface UpstreamTarget {
  /** The factory under test, naming the describe blocks. */
  name: string;
  /** `Upstream.kind`. */
  kind: string;
  /** The path the fake upstream sees for a model call, such as `/v1/chat/completions`. */
  path: string;
  create(settings: UpstreamSettings): Upstream;
  /** Settings every instance gets beside the base URL, the key and fast retries (`api: "responses"`). */
  settings?: Partial<UpstreamSettings>;
  /** The exact body sent for `historyInput` (a history with a tool round, tools, settings and a stop word). */
  expectedBody: Record<string, unknown>;
  /** The body field that carries `maxOutputTokens`. */
  maxTokensField: string;
  /** Each way this API streams reasoning, as fake reply options. */
  reasoningStyles: Record<string, Partial<FakeCompletion>>;
  /** Frames of a streamed text answer sent before the middle of its text: where resets and stalls cut. */
  midTextFrame: number;
  /** Raw streams that go wrong, in this API's framing. */
  broken: {
    /** Text, then the end of the body without the API's terminal event (with and without a closing `[DONE]`). */
    truncated: string[][];
    truncatedMessage: RegExp;
    /** Text, then the API's mid-stream error saying "overloaded". */
    errorMidStream: string[];
    /** Text, then a frame whose data is not JSON. */
    notJson: string[];
    /** "Hi" and the API's terminal event, then a frame the upstream never sends: the body stays open after the end. */
    heldOpen: { sse: string[]; stallAfter: number };
  };
  /**
   * What the upstream does when the server refuses `stream: true`: Chat retries without streaming
   * (and remembers it); every Responses API server streams, so the refusal reaches the caller.
   */
  onStreamRefused: "retry" | "fail";
}

/** The fake upstream a test file shares, and upstreams pointed at it (closed after each test). */
export interface UpstreamHarness {
  readonly fake: FakeUpstream;
  readonly apiKey: string;
  /** An upstream of the target's kind on the fake; fast retries unless `overrides` say otherwise. */
  open(overrides?: Partial<UpstreamSettings>): Upstream;
}

/** Starts one fake upstream for the calling scope (file or describe) and resets it after each test. */
export function useFakeUpstream(target: UpstreamTarget, apiKey: string): UpstreamHarness {
  let fake: FakeUpstream | undefined;
  const opened: Upstream[] = [];
  beforeAll(async () => {
    fake = await startFakeUpstream({ apiKey });
  });
  afterEach(async () => {
    fake?.reset();
    await Promise.all(opened.splice(0).map((upstream) => upstream.close()));
  });
  afterAll(() => fake?.close());
  const started = () => {
    if (!fake) throw new Error("the fake upstream is not started yet (use it inside a test or hook)");
    return fake;
  };
  return {
    get fake() {
      return started();
    },
    apiKey,
    open(overrides = {}) {
      const upstream = target.create(upstreamConfigSchema.parse({ baseURL: started().url, apiKey, retryDelayMs: 5, ...target.settings, ...overrides }));
      opened.push(upstream);
      return upstream;
    },
  };
}

export const input = (overrides: Partial<RunInput> = {}): RunInput => ({
  model: "gpt-test",
  items: [{ type: "message", role: "user", content: [{ type: "input_text", text: "Hi" }] }],
  tools: [],
  ...overrides,
});

export const weatherTool = { name: "get_weather", description: "Weather now", parameters: { type: "object", properties: {} } };

/** A history with a finished tool round, and every setting both APIs carry: what `expectedBody` describes. */
export const historyInput = (): RunInput =>
  input({
    instructions: "Be brief.",
    items: [
      { type: "message", role: "user", content: [{ type: "input_text", text: "Weather?" }] },
      { type: "function_call", call_id: "call_1", name: "get_weather", arguments: "{}" },
      { type: "function_call_output", call_id: "call_1", output: "18C" },
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "18C." }] },
      { type: "message", role: "user", content: [{ type: "input_text", text: "Hi" }] },
    ],
    tools: [weatherTool],
    toolChoice: "auto",
    temperature: 0.5,
    stop: ["END"],
  });

const textOf = (events: HermesEvent[]) => events.find((event) => event.type === "message.completed");
const longText = () => Array.from({ length: 40 }, (_, index) => `w${index}`).join(" ");

/**
 * The behaviours every upstream must share, asserted once for all of them (style rule 8): streaming
 * text, reasoning and tool calls, usage and finish reasons, what the upstream received, a JSON body
 * in answer to a stream, HTTP errors mapped to typed errors, retries, timeouts, broken and truncated
 * streams, and abort. Every successful call is also checked against the step rules (blocks tied,
 * one `step.completed`, last). Per-API extras stay in the API's own test file.
 */
export function describeUpstream(target: UpstreamTarget, harness: UpstreamHarness): void {
  const test = (name: string, body: () => Promise<void>) => it(name, body);
  const enqueue = (...replies: FakeReply[]) => harness.fake.enqueue(...replies);
  const requests = () => harness.fake.requests;
  /** A call that must succeed, checked against the step rules. */
  const collect = async (upstream: Upstream, runInput = input(), signal?: AbortSignal) => {
    const events = await collectEvents(upstream, runInput, signal);
    expectWellFormedStep(events);
    return events;
  };
  /** A call that must fail: nothing before the failure may claim the step finished. */
  const fail = async (upstream: Upstream, runInput = input(), signal?: AbortSignal) => {
    const failure = await collectFailure(upstream, runInput, signal);
    expect(failure.events.some((event) => event.type === "step.completed")).toBe(false);
    return failure;
  };

  describe(`${target.name}: streaming (shared upstream suite)`, () => {
    test("streams text deltas and reports usage", async () => {
      enqueue({ text: "Hello world", usage: { inputTokens: 12, outputTokens: 2, cachedTokens: 4 } });
      const upstream = harness.open();
      expect(upstream.kind).toBe(target.kind);
      expect(await collect(upstream)).toEqual([
        { type: "message.started", itemId: "msg_1" },
        { type: "text.delta", itemId: "msg_1", delta: "Hello" },
        { type: "text.delta", itemId: "msg_1", delta: " world" },
        { type: "message.completed", itemId: "msg_1", text: "Hello world" },
        {
          type: "step.completed",
          finishReason: "stop",
          usage: { inputTokens: 12, outputTokens: 2, totalTokens: 14, reasoningTokens: 0, cachedTokens: 4 },
        },
      ]);
    });

    test("sends the model, the history, tools, settings and the API key", async () => {
      await collect(harness.open(), historyInput());
      const [request] = requests();
      expect(request).toMatchObject({ method: "POST", path: target.path });
      expect(request!.headers).toMatchObject({
        authorization: `Bearer ${harness.apiKey}`,
        "content-type": "application/json",
        accept: "text/event-stream",
      });
      expect(request!.body).toEqual(target.expectedBody);
    });

    test("streams a single tool call with argument deltas", async () => {
      enqueue({ toolCalls: [{ id: "call_w", name: "get_weather", arguments: { city: "Paris" } }] });
      const events = await collect(harness.open());
      expect(events[0]).toEqual({ type: "tool.call.started", callId: "call_w", itemId: "fc_1", name: "get_weather" });
      const deltas = events.flatMap((event) => (event.type === "tool.call.delta" ? [event.delta] : []));
      expect(deltas.length).toBeGreaterThan(1);
      expect(deltas.join("")).toBe('{"city":"Paris"}');
      expect(events.slice(-2)).toEqual([
        { type: "tool.call.completed", callId: "call_w", itemId: "fc_1", name: "get_weather", arguments: '{"city":"Paris"}' },
        expect.objectContaining({ type: "step.completed", finishReason: "tool_calls" }),
      ]);
    });

    test("streams parallel tool calls one after the other", async () => {
      enqueue({
        toolCalls: [
          { id: "call_a", name: "get_weather", arguments: { city: "Paris" } },
          { id: "call_b", name: "get_time", arguments: { tz: "Asia/Tokyo" } },
        ],
      });
      const events = await collect(harness.open());
      const lifecycle = events.filter((event) => event.type === "tool.call.started" || event.type === "tool.call.completed");
      expect(lifecycle).toEqual([
        { type: "tool.call.started", callId: "call_a", itemId: "fc_1", name: "get_weather" },
        { type: "tool.call.completed", callId: "call_a", itemId: "fc_1", name: "get_weather", arguments: '{"city":"Paris"}' },
        { type: "tool.call.started", callId: "call_b", itemId: "fc_2", name: "get_time" },
        { type: "tool.call.completed", callId: "call_b", itemId: "fc_2", name: "get_time", arguments: '{"tz":"Asia/Tokyo"}' },
      ]);
      expect(events.at(-1)).toMatchObject({ type: "step.completed", finishReason: "tool_calls" });
    });

    for (const [style, options] of Object.entries(target.reasoningStyles)) {
      test(`streams reasoning (${style}) before the answer`, async () => {
        enqueue({ reasoning: "Two plus two.", text: "4", usage: { reasoningTokens: 3 }, ...options });
        const events = await collect(harness.open());
        expect(events.map((event) => event.type)).toEqual([
          "reasoning.started",
          "reasoning.delta",
          "reasoning.delta",
          "reasoning.delta",
          "reasoning.completed",
          "message.started",
          "text.delta",
          "message.completed",
          "step.completed",
        ]);
        expect(reasoningOf(events)).toBe("Two plus two.");
        expect(events.at(-1)).toMatchObject({ usage: { reasoningTokens: 3 } });
      });
    }

    test("reports a step without usage when the upstream sends none", async () => {
      enqueue({ text: "ok", usage: null });
      expect((await collect(harness.open())).at(-1)).toEqual({ type: "step.completed", finishReason: "stop" });
    });

    for (const finishReason of ["length", "content_filter"] as const) {
      test(`maps a cut-short answer (${finishReason}) and sends the output token limit`, async () => {
        enqueue({ text: "Once upon a time", finishReason });
        const events = await collect(harness.open(), input({ maxOutputTokens: 16 }));
        expect(textOf(events)).toMatchObject({ text: "Once upon a time" });
        expect(events.at(-1)).toMatchObject({ type: "step.completed", finishReason });
        expect(requests()[0]!.body[target.maxTokensField]).toBe(16);
      });
    }

    test("decodes a JSON body sent in answer to a streaming request, without a second call", async () => {
      enqueue({ text: "Whole body", reasoning: "Brief.", toolCalls: [{ id: "call_1", name: "now" }], ignoreStream: true });
      const events = await collect(harness.open());
      expect(reasoningOf(events)).toBe("Brief.");
      expect(textOf(events)).toMatchObject({ text: "Whole body" });
      expect(events.find((event) => event.type === "tool.call.completed")).toMatchObject({ callId: "call_1", arguments: "{}" });
      expect(events.at(-1)).toMatchObject({ type: "step.completed", finishReason: "tool_calls", usage: { inputTokens: expect.any(Number) } });
      expect(requests()).toHaveLength(1);
    });

    if (target.onStreamRefused === "retry")
      test("retries without streaming when the upstream refuses to stream, and remembers it", async () => {
        enqueue({ text: "No streaming here", refuseStream: true });
        const upstream = harness.open();
        expect(textOf(await collect(upstream))).toMatchObject({ text: "No streaming here" });
        expect(requests().map((request) => request.body.stream)).toEqual([true, undefined]);
        expect(requests()[1]!.body).not.toHaveProperty("stream_options");

        enqueue({ text: "Again" });
        expect(textOf(await collect(upstream))).toMatchObject({ text: "Again" });
        expect(requests()).toHaveLength(3);
        expect(requests()[2]!.body).not.toHaveProperty("stream");
      });
    else
      test("passes a refusal to stream on as the upstream's 400, with no second call", async () => {
        enqueue({ text: "No streaming here", refuseStream: true });
        const { error } = await fail(harness.open());
        expect(error).toMatchObject({ status: 400 });
        expect(requests().map((request) => request.body.stream)).toEqual([true]);
      });

    test("lists the upstream's models", async () => {
      harness.fake.models = ["gpt-a", "gpt-b"];
      expect(await harness.open().listModels!()).toEqual(["gpt-a", "gpt-b"]);
      expect(requests()[0]).toMatchObject({ method: "GET", path: "/v1/models" });
    });

    test("reuses one keep-alive connection across calls", async () => {
      const upstream = harness.open();
      const before = harness.fake.connections;
      for (let call = 0; call < 3; call++) {
        await collect(upstream);
        // undici frees a connection a tick after the body ends; back-to-back calls would open a second.
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(harness.fake.connections - before).toBe(1);
    });
  });

  describe(`${target.name}: a call nobody streams (shared upstream suite)`, () => {
    const whole = { stream: false } as const;

    test("asks for one JSON answer and yields the same step as a stream would", async () => {
      enqueue({ text: "Hello world", usage: { inputTokens: 12, outputTokens: 2 } });
      const events = await collectEvents(harness.open(), input(), undefined, whole);
      expectWellFormedStep(events);
      expect(textOf(events)).toMatchObject({ text: "Hello world" });
      expect(events.at(-1)).toMatchObject({ type: "step.completed", finishReason: "stop", usage: { inputTokens: 12, outputTokens: 2 } });
      const [request] = requests();
      expect(request!.headers.accept).toBe("application/json");
      expect(request!.body.stream ?? false).toBe(false);
      expect(request!.body).not.toHaveProperty("stream_options");
    });

    test("hands back tool calls whole", async () => {
      enqueue({ toolCalls: [{ id: "call_w", name: "get_weather", arguments: { city: "Paris" } }] });
      const events = await collectEvents(harness.open(), input({ tools: [weatherTool] }), undefined, whole);
      expectWellFormedStep(events);
      expect(events.find((event) => event.type === "tool.call.completed")).toMatchObject({
        callId: "call_w",
        name: "get_weather",
        arguments: '{"city":"Paris"}',
      });
      expect(events.at(-1)).toMatchObject({ finishReason: "tool_calls" });
    });

    test("closes the upstream connection when aborted while the JSON answer is arriving", async () => {
      // The JSON body goes out in pieces 40 ms apart: the abort lands mid-body, after the headers.
      enqueue({ text: longText(), delayMs: 40 });
      const controller = new AbortController();
      const aborted = harness.fake.waitForAbort();
      const failure = collectFailure(harness.open(), input(), controller.signal, whole);
      await expect.poll(() => requests().length).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 120));
      const started = performance.now();
      controller.abort();
      const { error } = await failure;
      expect((error as unknown as DOMException).name).toBe("AbortError");
      expect(performance.now() - started).toBeLessThan(500);
      expect(await aborted).toMatchObject({ path: target.path, aborted: true });
    });

    test("waits generationTimeoutMs for the answer, not headersTimeoutMs: a whole answer's headers come last", async () => {
      enqueue({ text: "took a while", headersDelayMs: 400 });
      const upstream = harness.open({ headersTimeoutMs: 100, generationTimeoutMs: 5_000 });
      expect(textOf(await collectEvents(upstream, input(), undefined, whole))).toMatchObject({ text: "took a while" });
    });

    test("fails with 504 upstream_timeout naming generationTimeoutMs when the answer takes longer", async () => {
      enqueue({ text: "too late", headersDelayMs: 1_500 });
      const { error } = await collectFailure(harness.open({ generationTimeoutMs: 200, maxRetries: 0 }), input(), undefined, whole);
      expect(error).toMatchObject({ status: 504, code: "upstream_timeout" });
      expect(error.message).toContain("200 ms");
    });

    test("reads an upstream that streams although asked for JSON as the stream it is", async () => {
      enqueue({ text: "streamed anyway", alwaysStream: true });
      const events = await collectEvents(harness.open(), input(), undefined, whole);
      expectWellFormedStep(events);
      expect(textOf(events)).toMatchObject({ text: "streamed anyway" });
      expect(events.filter((event) => event.type === "text.delta").length).toBeGreaterThan(1);
    });
  });

  describe(`${target.name}: HTTP errors and retries (shared upstream suite)`, () => {
    test("retries a 500 and succeeds", async () => {
      enqueue({ status: 500 }, { text: "recovered" });
      expect(textOf(await collect(harness.open()))).toMatchObject({ text: "recovered" });
      expect(requests()).toHaveLength(2);
    });

    test("waits as long as Retry-After says before retrying a 429", async () => {
      enqueue({ status: 429, headers: { "retry-after": "1" } }, { text: "after the wait" });
      const started = performance.now();
      expect(textOf(await collect(harness.open()))).toMatchObject({ text: "after the wait" });
      expect(performance.now() - started).toBeGreaterThanOrEqual(950);
      expect(requests()).toHaveLength(2);
    });

    const clientErrors = [
      { status: 404, message: "The model `nope` does not exist", param: "model", code: "model_not_found" },
      { status: 400, message: "Unsupported parameter: 'temperature'", param: "temperature", code: "unsupported_parameter" },
    ];
    for (const { status, message, param, code } of clientErrors) {
      test(`passes a ${status} through with its status, message, code and param, without retrying`, async () => {
        enqueue({ status, body: { error: { message, type: "invalid_request_error", param, code } } });
        const { error } = await fail(harness.open());
        expect(HermesError.is(error)).toBe(true);
        expect(error).toMatchObject({ status, code, param, message });
        expect(requests()).toHaveLength(1);
      });
    }

    test("reports an upstream 401 as the proxy's credentials failing, never repeating the key", async () => {
      enqueue({ status: 401, body: { error: { message: `Incorrect API key provided: ${harness.apiKey}.`, code: "invalid_api_key" } } });
      const { error } = await fail(harness.open());
      expect(error).toMatchObject({ status: 502, code: "upstream_auth_failed" });
      expect(error.message).not.toContain(harness.apiKey);
    });

    test("keeps the key out of a passed-on 4xx message too", async () => {
      enqueue({ status: 400, body: { error: { message: `bad request for key ${harness.apiKey}`, code: "invalid_value" } } });
      const { error } = await fail(harness.open());
      expect(error).toMatchObject({ status: 400, code: "invalid_value" });
      expect(error.message).not.toContain(harness.apiKey);
    });

    test("answers 502 upstream_error once 5xx retries run out", async () => {
      enqueue({ status: 500 }, { status: 502, body: "Bad gateway" }, { status: 503 });
      const { error } = await fail(harness.open({ maxRetries: 2 }));
      expect(error).toMatchObject({ status: 502, code: "upstream_error" });
      expect(requests()).toHaveLength(3);
    });

    test("answers 429 rate_limit_exceeded with Retry-After once 429 retries run out", async () => {
      enqueue(...Array.from({ length: 2 }, () => ({ status: 429, headers: { "retry-after": "0" } })));
      const { error } = await fail(harness.open({ maxRetries: 1 }));
      expect(error).toMatchObject({ status: 429, code: "rate_limit_exceeded", headers: { "Retry-After": "0" } });
      expect(requests()).toHaveLength(2);
    });

    test("does not sit out a long Retry-After: the 429 goes back at once", async () => {
      enqueue({ status: 429, headers: { "retry-after": "120" } });
      const { error } = await fail(harness.open());
      expect(error).toMatchObject({ status: 429, headers: { "Retry-After": "120" } });
      expect(requests()).toHaveLength(1);
    });

    test("answers 502 when the upstream cannot be reached", async () => {
      const gone = await startFakeUpstream();
      const url = gone.url;
      await gone.close();
      const { error } = await fail(harness.open({ baseURL: url, maxRetries: 1 }));
      expect(error).toMatchObject({ status: 502, code: "upstream_error", message: expect.stringContaining("ECONNREFUSED") });
    });

    test("times out when the headers never come, within the configured time and without retrying", async () => {
      enqueue({ hang: true });
      const started = performance.now();
      const { error } = await fail(harness.open({ headersTimeoutMs: 200 }));
      expect(error).toMatchObject({ status: 504, code: "upstream_timeout" });
      // undici runs headers and idle timeouts on its ~0.5 s "fast timers": a 200 ms timeout fires within ~1 s.
      expect(performance.now() - started).toBeLessThan(1_500);
      expect(requests()).toHaveLength(1);
    });
  });

  describe(`${target.name}: broken and truncated streams (shared upstream suite)`, () => {
    test("times out when the stream goes silent midway", async () => {
      enqueue({ text: "one two three four", stallAfter: target.midTextFrame });
      const { events, error } = await fail(harness.open({ idleTimeoutMs: 200 }));
      expect(error).toMatchObject({ status: 504, code: "upstream_timeout" });
      expect(events.some((event) => event.type === "text.delta")).toBe(true);
    });

    test("times out when the stream sends only keep-alive comments", async () => {
      // One real event, then a comment every 100 ms for 3 s: bytes keep coming, events do not.
      enqueue({ sse: [target.broken.notJson[0]!, ...Array.from({ length: 30 }, () => ": keep-alive\n\n")], delayMs: 100 });
      const started = performance.now();
      const { error } = await fail(harness.open({ idleTimeoutMs: 400 }));
      expect(error).toMatchObject({ status: 504, code: "upstream_timeout" });
      expect(performance.now() - started).toBeLessThan(2_000);
    });

    test("fails (never succeeds) when the connection is reset midway", async () => {
      enqueue({ text: "one two three four five six", resetAfter: target.midTextFrame });
      const { error } = await fail(harness.open());
      expect(error).toMatchObject({ status: 502, code: "upstream_error" });
      expect(requests()).toHaveLength(1);
    });

    test("ends at the terminal event at once, even when the upstream keeps the body open", async () => {
      enqueue(target.broken.heldOpen);
      const started = performance.now();
      const events = await collect(harness.open({ idleTimeoutMs: 10_000 }));
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(textOf(events)).toMatchObject({ text: "Hi" });
      expect(events.at(-1)).toMatchObject({ type: "step.completed", finishReason: "stop" });
    });

    test("keeps an answer whose connection breaks after the terminal event", async () => {
      enqueue({ text: "Complete", resetAfter: Number.MAX_SAFE_INTEGER });
      const events = await collect(harness.open());
      expect(events.at(-1)).toMatchObject({ type: "step.completed", finishReason: "stop" });
      expect(textOf(events)).toMatchObject({ text: "Complete" });
    });

    test("fails a stream that ends without its terminal event, with or without [DONE]", async () => {
      for (const frames of target.broken.truncated) {
        enqueue({ sse: frames });
        const { events, error } = await fail(harness.open());
        expect(error).toMatchObject({ status: 502, code: "upstream_error", message: expect.stringMatching(target.broken.truncatedMessage) });
        expect(events.some((event) => event.type === "text.delta")).toBe(true);
      }
    });

    test("fails on an error event mid-stream", async () => {
      enqueue({ sse: target.broken.errorMidStream });
      const { error } = await fail(harness.open());
      expect(error).toMatchObject({ status: 502, code: "upstream_error", message: expect.stringContaining("overloaded") });
    });

    test("fails on a frame that is not JSON", async () => {
      enqueue({ sse: target.broken.notJson });
      const { error } = await fail(harness.open());
      expect(error).toMatchObject({ status: 502, code: "upstream_error", message: expect.stringMatching(/not JSON/) });
    });
  });

  describe(`${target.name}: abort (shared upstream suite)`, () => {
    test("closes the upstream connection when aborted mid-stream", async () => {
      enqueue({ text: longText(), delayMs: 20 });
      const controller = new AbortController();
      const closedBefore = harness.fake.closedConnections;
      const aborted = harness.fake.waitForAbort();
      const seen: HermesEvent[] = [];
      let failure: unknown;
      try {
        for await (const event of upstreamEvents(harness.open(), input(), { signal: controller.signal })) {
          seen.push(event);
          if (event.type === "text.delta") controller.abort();
        }
      } catch (caught) {
        failure = caught;
      }
      expect(failure).toBeInstanceOf(DOMException);
      expect((failure as DOMException).name).toBe("AbortError");
      expect(seen.filter((event) => event.type === "text.delta")).toHaveLength(1);
      expect(await aborted).toMatchObject({ path: target.path, aborted: true });
      await expect.poll(() => harness.fake.closedConnections).toBeGreaterThan(closedBefore);
    });

    test("closes the upstream connection when aborted before the headers", async () => {
      enqueue({ hang: true });
      const controller = new AbortController();
      const aborted = harness.fake.waitForAbort();
      const failure = collectFailure(harness.open(), input(), controller.signal);
      await expect.poll(() => requests().length).toBe(1);
      const started = performance.now();
      controller.abort();
      const { error } = await failure;
      expect((error as unknown as DOMException).name).toBe("AbortError");
      expect(performance.now() - started).toBeLessThan(500);
      await aborted;
    });

    test("stops waiting to retry when aborted", async () => {
      enqueue({ status: 503, headers: { "retry-after": "10" } }, { text: "too late" });
      const controller = new AbortController();
      const failure = collectFailure(harness.open(), input(), controller.signal);
      await expect.poll(() => requests().length).toBe(1);
      const started = performance.now();
      controller.abort();
      const { error } = await failure;
      expect((error as unknown as DOMException).name).toBe("AbortError");
      expect(performance.now() - started).toBeLessThan(500);
      expect(requests()).toHaveLength(1);
    });

    test("closes the connection when the consumer stops reading early", async () => {
      enqueue({ text: longText(), delayMs: 20 });
      const aborted = harness.fake.waitForAbort();
      for await (const event of upstreamEvents(harness.open(), input(), { signal: AbortSignal.timeout(10_000) })) {
        if (event.type === "text.delta") break;
      }
      expect(await aborted).toMatchObject({ aborted: true });
    });
  });
}

/** The reasoning of a step, wherever the API put it: the reasoning text, or (Responses summaries) its summary parts. */
function reasoningOf(events: readonly HermesEvent[]): string | undefined {
  const done = events.find((event) => event.type === "reasoning.completed");
  return done && (done.text || done.summary?.join("\n\n"));
}
