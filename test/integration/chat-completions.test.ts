import { APIError } from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { startProxy, type TestProxy } from "../helpers/proxy.ts";
import { parseSse, readSse, sseJson } from "../helpers/sse.ts";

const KEY = "chat-test-key-0123456789";
const UPSTREAM_KEY = "sk-upstream-secret-0123456789";

describe("Chat Completions against an OpenAI-compatible upstream", () => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;

  beforeAll(async () => {
    upstream = await startFakeUpstream({ apiKey: UPSTREAM_KEY });
    proxy = await startProxy({
      server: { apiKey: KEY, keepaliveMs: 40 },
      upstream: { baseURL: upstream.url, apiKey: UPSTREAM_KEY, model: "fake-model", maxRetries: 1, retryDelayMs: 10 },
      agent: { systemPrompt: "You are Hermes." },
    });
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${proxy.url}/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify(body),
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json", ...headers },
    });

  it("answers a plain completion and sends the upstream the layered system prompt", async () => {
    upstream.enqueue({ text: "Hello there, friend.", usage: { inputTokens: 12, outputTokens: 5 } });
    const completion = await proxy.client.chat.completions.create({
      model: "hermes-agent",
      messages: [
        { role: "system", content: "Answer in English." },
        { role: "user", content: "Say hello" },
      ],
      temperature: 0.3,
      max_tokens: 40,
      seed: 1,
      stop: ["END"],
      user: "user-1",
      metadata: { team: "a" },
      response_format: { type: "json_object" },
      reasoning_effort: "low",
    });
    expect(completion.object).toBe("chat.completion");
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.model).toBe("hermes-agent");
    expect(completion.choices[0]).toMatchObject({ index: 0, finish_reason: "stop", message: { role: "assistant", content: "Hello there, friend." } });
    expect(completion.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 });

    const sent = upstream.requests[0];
    expect(sent?.path).toBe("/v1/chat/completions");
    expect(sent?.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(sent?.body).toMatchObject({
      model: "fake-model",
      messages: [
        { role: "system", content: "You are Hermes." },
        { role: "system", content: "Answer in English." },
        { role: "user", content: "Say hello" },
      ],
      temperature: 0.3,
      max_completion_tokens: 40,
      seed: 1,
      stop: ["END"],
      user: "user-1",
      metadata: { team: "a" },
      response_format: { type: "json_object" },
      reasoning_effort: "low",
    });
    // The client did not stream, so neither does the upstream: one JSON answer, no stream parsed back into one.
    expect(sent?.body).not.toHaveProperty("stream");
    expect(sent?.body).not.toHaveProperty("stream_options");
  });

  it("streams through the SDK, with usage when asked", async () => {
    upstream.enqueue({ text: "one two three four", usage: { inputTokens: 3, outputTokens: 4 } });
    const stream = await proxy.client.chat.completions.create({
      model: "hermes-agent",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "count" }],
    });
    let text = "";
    let usage;
    let finish;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe("one two three four");
    expect(finish).toBe("stop");
    expect(usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
  });

  it("writes exact frames: role chunk first, content, finish, [DONE], no usage unless asked", async () => {
    upstream.enqueue({ text: "alpha beta" });
    const response = await post({ model: "hermes-agent", stream: true, messages: [{ role: "user", content: "x" }] });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(response.headers.get("x-accel-buffering")).toBe("no");
    expect(response.headers.get("cache-control")).toBe("no-cache");
    const body = await response.text();
    const frames = parseSse(body);
    expect(frames.at(-1)?.data).toBe("[DONE]");
    const chunks = sseJson<{ id: string; object: string; choices: { delta: Record<string, unknown>; finish_reason: string | null }[]; usage?: unknown }>(body);
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    expect(chunks.every((chunk) => chunk.object === "chat.completion.chunk")).toBe(true);
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: "assistant", content: "" });
    expect(chunks.slice(1, -1).map((chunk) => chunk.choices[0]?.delta.content)).toEqual(["alpha", " beta"]);
    expect(chunks.at(-1)?.choices[0]).toMatchObject({ delta: {}, finish_reason: "stop" });
    expect(chunks.some((chunk) => chunk.usage !== undefined)).toBe(false);
  });

  it("hands a client tool call back with finish_reason tool_calls, then sends the tool result upstream", async () => {
    upstream.enqueue({ toolCalls: [{ id: "call_weather", name: "get_weather", arguments: { city: "Paris" } }] });
    const tools = [
      {
        type: "function" as const,
        function: {
          name: "get_weather",
          description: "Weather for a city",
          parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
        },
      },
    ];
    const messages = [{ role: "user" as const, content: "Weather in Paris?" }];
    const first = await proxy.client.chat.completions.create({ model: "hermes-agent", messages, tools, tool_choice: "auto", parallel_tool_calls: false });
    const choice = first.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.content).toBeNull();
    expect(choice?.message.tool_calls).toEqual([{ id: "call_weather", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }]);
    expect(upstream.requests[0]?.body).toMatchObject({ tools, tool_choice: "auto", parallel_tool_calls: false });

    upstream.enqueue({ text: "It is sunny in Paris." });
    const second = await proxy.client.chat.completions.create({
      model: "hermes-agent",
      tools,
      messages: [...messages, choice!.message, { role: "tool", tool_call_id: "call_weather", content: '{"sky":"sunny"}' }],
    });
    expect(second.choices[0]?.message.content).toBe("It is sunny in Paris.");
    expect(upstream.requests[1]?.body.messages.slice(-2)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_weather", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
      },
      { role: "tool", tool_call_id: "call_weather", content: '{"sky":"sunny"}' },
    ]);
  });

  it("streams parallel tool calls that the SDK's stream helper assembles", async () => {
    upstream.enqueue({
      toolCalls: [
        { id: "call_a", name: "get_weather", arguments: { city: "Paris" } },
        { id: "call_b", name: "get_time", arguments: { zone: "Europe/Paris" } },
      ],
    });
    const tools = ["get_weather", "get_time"].map((name) => ({ type: "function" as const, function: { name, parameters: { type: "object" } } }));
    const runner = proxy.client.chat.completions.stream({ model: "hermes-agent", messages: [{ role: "user", content: "both" }], tools });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]?.finish_reason).toBe("tool_calls");
    expect(
      final.choices[0]?.message.tool_calls?.map((call) => [
        call.id,
        call.type === "function" && call.function.name,
        call.type === "function" && call.function.arguments,
      ]),
    ).toEqual([
      ["call_a", "get_weather", '{"city":"Paris"}'],
      ["call_b", "get_time", '{"zone":"Europe/Paris"}'],
    ]);
  });

  it("passes reasoning through as reasoning_content", async () => {
    upstream.enqueue({ reasoning: "Let me think.", text: "Forty-two." });
    const response = await post({ model: "hermes-agent", stream: true, messages: [{ role: "user", content: "meaning?" }] });
    const chunks = sseJson<{ choices: { delta: { reasoning_content?: string; content?: string } }[] }>(await response.text());
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.reasoning_content ?? "").join("")).toBe("Let me think.");
    upstream.enqueue({ reasoning: "Hmm.", text: "Yes." });
    const completion = (await (await post({ model: "hermes-agent", messages: [{ role: "user", content: "?" }] })).json()) as {
      choices: { message: { reasoning_content?: string } }[];
    };
    expect(completion.choices[0]?.message.reasoning_content).toBe("Hmm.");
  });

  it("keeps an upstream 4xx's status, message and code", async () => {
    upstream.enqueue({
      status: 400,
      body: { error: { message: "context too long", type: "invalid_request_error", param: "messages", code: "context_length_exceeded" } },
    });
    const error = await proxy.client.chat.completions.create({ model: "hermes-agent", messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(400);
    expect((error as APIError).code).toBe("context_length_exceeded");
    expect((error as APIError).message).toContain("context too long");
  });

  it("retries a 5xx before the first byte, then answers 502 upstream_error without leaking the key", async () => {
    upstream.enqueue({ status: 503 }, { text: "recovered" });
    const recovered = await proxy.client.chat.completions.create({ model: "hermes-agent", messages: [{ role: "user", content: "x" }] });
    expect(recovered.choices[0]?.message.content).toBe("recovered");
    expect(upstream.requests).toHaveLength(2);

    upstream.reset();
    upstream.enqueue({ status: 500 }, { status: 502 });
    for (const stream of [false, true]) {
      if (stream) upstream.enqueue({ status: 500 }, { status: 500 });
      const response = await post({ model: "hermes-agent", stream, messages: [{ role: "user", content: "x" }] });
      expect(response.status).toBe(502);
      const text = await response.text();
      expect(JSON.parse(text).error).toMatchObject({ type: "server_error", code: "upstream_error" });
      expect(text).not.toContain(UPSTREAM_KEY);
    }
  });

  it("ends a stream that fails after its first byte with an error frame the SDK raises", async () => {
    upstream.enqueue({ text: "one two three four five six", resetAfter: 3 });
    const response = await post({ model: "hermes-agent", stream: true, messages: [{ role: "user", content: "x" }] });
    expect(response.status).toBe(200);
    const frames = parseSse(await response.text());
    const error = JSON.parse(frames.at(-2)?.data ?? "{}");
    expect(error.error).toMatchObject({ type: "server_error", code: "upstream_error" });
    expect(frames.at(-1)?.data).toBe("[DONE]");
    expect(frames.some((frame) => frame.data.includes('"finish_reason":"stop"'))).toBe(false);

    upstream.enqueue({ text: "one two three four five six", resetAfter: 3 });
    const stream = await proxy.client.chat.completions.create({ model: "hermes-agent", stream: true, messages: [{ role: "user", content: "x" }] });
    const consume = async () => {
      for await (const _chunk of stream);
    };
    await expect(consume()).rejects.toBeInstanceOf(APIError);
  });

  it("aborts the upstream request when the client disconnects mid-stream", async () => {
    upstream.enqueue({ text: Array.from({ length: 50 }, (_, i) => `w${i}`).join(" "), delayMs: 30 });
    const controller = new AbortController();
    const response = await post({ model: "hermes-agent", stream: true, messages: [{ role: "user", content: "long" }] }, {});
    const aborted = upstream.waitForAbort(3_000);
    let frames = 0;
    for await (const _frame of readSse(response)) if (++frames === 3) break;
    controller.abort();
    await response.body?.cancel();
    const request = await aborted;
    expect(request.aborted).toBe(true);
    expect(request.path).toBe("/v1/chat/completions");
  });

  it("sends keepalive comments while the upstream is silent", async () => {
    upstream.enqueue({ text: "slow answer", delayMs: 150 });
    const response = await post({ model: "hermes-agent", stream: true, messages: [{ role: "user", content: "x" }] });
    const body = await response.text();
    expect(body).toContain(": keepalive\n\n");
    expect(
      sseJson<{ choices: { delta: { content?: string } }[] }>(body)
        .map((c) => c.choices[0]?.delta.content ?? "")
        .join(""),
    ).toBe("slow answer");
  });
});

describe("Chat Completions sessions and idempotency", () => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    proxy = await startProxy({ server: { apiKey: KEY }, upstream: { baseURL: upstream.url, model: "fake-model" } });
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${proxy.url}/v1/chat/completions`, {
      method: "POST",
      body: typeof body === "string" ? body : JSON.stringify(body),
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json", ...headers },
    });

  it("derives one session id per conversation and continues it from the session store", async () => {
    const opening = [
      { role: "system", content: "Be terse." },
      { role: "user", content: "My name is Ada." },
    ];
    upstream.enqueue({ text: "Hello Ada." });
    const first = await post({ messages: opening });
    const sessionId = first.headers.get("x-hermes-session-id");
    expect(sessionId).toMatch(/^api-[0-9a-f]{16}$/);

    // The same opening from a frontend that resends the whole history derives the same id.
    upstream.enqueue({ text: "Still here." });
    const again = await post({ messages: [...opening, { role: "assistant", content: "Hello Ada." }, { role: "user", content: "ok" }] });
    expect(again.headers.get("x-hermes-session-id")).toBe(sessionId);

    // Continuing by header: only the new message is sent; history comes from the store.
    upstream.enqueue({ text: "Your name is Ada." });
    const continued = await post({ messages: [{ role: "user", content: "What is my name?" }] }, { "x-hermes-session-id": sessionId! });
    expect(continued.status).toBe(200);
    expect(continued.headers.get("x-hermes-session-id")).toBe(sessionId);
    expect(upstream.requests[2]?.body.messages).toEqual([
      { role: "system", content: "Be terse." },
      { role: "user", content: "My name is Ada." },
      { role: "assistant", content: "Hello Ada." },
      { role: "user", content: "ok" },
      { role: "assistant", content: "Still here." },
      { role: "user", content: "What is my name?" },
    ]);
  });

  it("computes an idempotent request once, replays it with the same id, and refuses a different body", async () => {
    upstream.enqueue({ text: "only once", delayMs: 50 });
    const body = JSON.stringify({ messages: [{ role: "user", content: "charge the card" }] });
    const headers = { "idempotency-key": "order-42" };
    const [a, b] = await Promise.all([post(body, headers), post(body, headers)]);
    const [bodyA, bodyB] = (await Promise.all([a.json(), b.json()])) as { id: string; choices: { message: { content: string } }[] }[];
    expect(bodyA?.id).toBe(bodyB?.id);
    expect(bodyA?.choices[0]?.message.content).toBe("only once");
    expect(upstream.requests).toHaveLength(1);
    expect([a.headers.get("idempotency-replayed"), b.headers.get("idempotency-replayed")]).toContain("true");

    const later = await post(body, headers);
    expect(((await later.json()) as { id: string }).id).toBe(bodyA?.id);
    expect(upstream.requests).toHaveLength(1);

    const conflict = await post({ messages: [{ role: "user", content: "something else" }] }, headers);
    expect(conflict.status).toBe(409);
    expect(((await conflict.json()) as { error: { code: string } }).error.code).toBe("idempotency_key_conflict");
  });
});

describe("Chat Completions without a configured upstream model", () => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;

  beforeAll(async () => {
    upstream = await startFakeUpstream({ models: ["gpt-a", "gpt-b"] });
    proxy = await startProxy({ upstream: { baseURL: upstream.url } });
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  it("lists the upstream's models beside the advertised name and passes the chosen one upstream", async () => {
    const models = await proxy.client.models.list();
    expect(models.data.map((model) => model.id)).toEqual(["hermes-agent", "gpt-a", "gpt-b"]);
    upstream.enqueue({ text: "from b" });
    const completion = await proxy.client.chat.completions.create({ model: "gpt-b", messages: [{ role: "user", content: "x" }] });
    expect(completion.model).toBe("gpt-b");
    expect(upstream.requests.at(-1)?.body.model).toBe("gpt-b");
  });

  it("says how to fix a request for the advertised name", async () => {
    const error = await proxy.client.chat.completions.create({ model: "hermes-agent", messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect((error as APIError).status).toBe(400);
    expect((error as APIError).code).toBe("model_not_configured");
    expect((error as APIError).message).toContain("HERMES_UPSTREAM_MODEL");
  });
});
