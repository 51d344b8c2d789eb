import { readdirSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { APIError } from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { startProxy, type TestProxy } from "../helpers/proxy.ts";
import { readSse } from "../helpers/sse.ts";

describe("Responses API over a Chat Completions upstream", () => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    proxy = await startProxy({ upstream: { baseURL: upstream.url, model: "fake-model" }, agent: { systemPrompt: "You are Hermes." } });
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  it("creates a response the SDK parses, echoing the request settings", async () => {
    upstream.enqueue({ text: "Hello from the model.", usage: { inputTokens: 9, outputTokens: 5, reasoningTokens: 1, cachedTokens: 2 } });
    const response = await proxy.client.responses.create({
      model: "hermes-agent",
      input: "Say hello",
      instructions: "Be brief.",
      temperature: 0.5,
      top_p: 0.9,
      max_output_tokens: 64,
      metadata: { ticket: "42" },
      text: { format: { type: "json_schema", name: "greeting", schema: { type: "object", properties: { text: { type: "string" } } }, strict: true } },
      reasoning: { effort: "low" },
    });
    expect(response).toMatchObject({
      object: "response",
      status: "completed",
      model: "hermes-agent",
      instructions: "Be brief.",
      previous_response_id: null,
      store: true,
      temperature: 0.5,
      top_p: 0.9,
      max_output_tokens: 64,
      metadata: { ticket: "42" },
      truncation: "disabled",
      tool_choice: "auto",
      parallel_tool_calls: true,
      usage: {
        input_tokens: 9,
        output_tokens: 5,
        total_tokens: 14,
        output_tokens_details: { reasoning_tokens: 1 },
        input_tokens_details: { cached_tokens: 2 },
      },
    });
    expect(response.id).toMatch(/^resp_/);
    expect(response.output_text).toBe("Hello from the model.");
    expect(response.output).toEqual([
      {
        id: expect.stringMatching(/^msg_/),
        type: "message",
        status: "completed",
        role: "assistant",
        content: [{ type: "output_text", text: "Hello from the model.", annotations: [], logprobs: [] }],
      },
    ]);
    expect(upstream.requests[0]?.body).toMatchObject({
      model: "fake-model",
      messages: [
        { role: "system", content: "You are Hermes.\n\nBe brief." },
        { role: "user", content: "Say hello" },
      ],
      temperature: 0.5,
      top_p: 0.9,
      max_completion_tokens: 64,
      metadata: { ticket: "42" },
      reasoning_effort: "low",
      response_format: {
        type: "json_schema",
        json_schema: { name: "greeting", strict: true, schema: { type: "object", properties: { text: { type: "string" } } } },
      },
    });
    // A client that did not stream: the upstream answers whole, as JSON.
    expect(upstream.requests[0]?.body).not.toHaveProperty("stream");
  });

  it("streams the full event set with strictly increasing sequence numbers and stable item ids", async () => {
    upstream.enqueue({ reasoning: "Thinking it over.", text: "Streamed answer here." });
    const stream = await proxy.client.responses.create({ model: "hermes-agent", input: "stream please", stream: true });
    const events = [];
    for await (const event of stream) events.push(event);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    const types = events.map((event) => event.type);
    expect(types.slice(0, 2)).toEqual(["response.created", "response.in_progress"]);
    expect(types).toContain("response.content_part.added");
    expect(types).toContain("response.reasoning_text.delta");
    expect(types).toContain("response.output_text.done");
    expect(types).toContain("response.content_part.done");
    expect(types.at(-1)).toBe("response.completed");
    const added = events.filter((event) => event.type === "response.output_item.added").map((event) => (event as { item: { id: string } }).item.id);
    const done = events.filter((event) => event.type === "response.output_item.done").map((event) => (event as { item: { id: string } }).item.id);
    expect(done).toEqual(added);
    for (const event of events) if (event.type === "response.output_text.delta") expect(added).toContain(event.item_id);
    const terminal = events.at(-1) as { response: { output: { id: string }[]; status: string } };
    expect(terminal.response.output.map((item) => item.id)).toEqual(added);
    expect(terminal.response.status).toBe("completed");
  });

  it("gives the final response through responses.stream().finalResponse()", async () => {
    upstream.enqueue({ text: "Final words." });
    const final = await proxy.client.responses.stream({ model: "hermes-agent", input: "x" }).finalResponse();
    expect(final.status).toBe("completed");
    expect(final.output_text).toBe("Final words.");
  });

  it("retrieves, lists input items, and deletes", async () => {
    upstream.enqueue({ text: "Stored." });
    const created = await proxy.client.responses.create({
      model: "hermes-agent",
      input: [
        { role: "developer", content: "Use French." },
        {
          role: "user",
          content: [
            { type: "input_text", text: "Bonjour" },
            { type: "input_image", image_url: "https://example.com/a.png", detail: "low" },
          ],
        },
      ],
    });
    const retrieved = await proxy.client.responses.retrieve(created.id);
    expect(retrieved.output_text).toBe("Stored.");
    expect(retrieved.id).toBe(created.id);

    const items = await proxy.client.responses.inputItems.list(created.id, { order: "asc" });
    expect(items.data.map((item) => item.type === "message" && item.role)).toEqual(["developer", "user"]);
    expect(items.data[1]).toMatchObject({
      content: [
        { type: "input_text", text: "Bonjour" },
        { type: "input_image", image_url: "https://example.com/a.png", detail: "low" },
      ],
    });
    const firstPage = await fetch(`${proxy.url}/v1/responses/${created.id}/input_items?limit=1`).then(
      (r) => r.json() as Promise<{ data: { id: string }[]; has_more: boolean; last_id: string }>,
    );
    expect(firstPage).toMatchObject({ has_more: true });
    const secondPage = await fetch(`${proxy.url}/v1/responses/${created.id}/input_items?limit=1&after=${firstPage.last_id}`).then(
      (r) => r.json() as Promise<{ data: { id: string }[]; has_more: boolean }>,
    );
    expect(secondPage.has_more).toBe(false);
    expect(secondPage.data[0]?.id).not.toBe(firstPage.data[0]?.id);
    for (const [query, param] of [
      ["limit=0", "limit"],
      ["limit=101", "limit"],
      ["order=up", "order"],
      ["after=item_nope", "after"],
    ]) {
      const refused = await fetch(`${proxy.url}/v1/responses/${created.id}/input_items?${query}`);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: unknown }).error).toMatchObject({ type: "invalid_request_error", code: "invalid_request", param });
    }

    const deleted = await fetch(`${proxy.url}/v1/responses/${created.id}`, { method: "DELETE" }).then((r) => r.json());
    expect(deleted).toEqual({ id: created.id, object: "response", deleted: true });
    const gone = await proxy.client.responses.retrieve(created.id).catch((error: unknown) => error);
    expect((gone as APIError).status).toBe(404);
  });

  it("chains three turns: the upstream gets every earlier input and output, instructions carried forward", async () => {
    upstream.enqueue({ text: "Nice to meet you, Ada." });
    const first = await proxy.client.responses.create({ model: "hermes-agent", input: "I am Ada.", instructions: "Remember names." });
    upstream.enqueue({ text: "Blue is a fine color." });
    const second = await proxy.client.responses.create({ model: "hermes-agent", input: "I like blue.", previous_response_id: first.id });
    expect(second.instructions).toBe("Remember names.");
    expect(second.previous_response_id).toBe(first.id);
    upstream.enqueue({ text: "You are Ada and you like blue." });
    const third = await proxy.client.responses.create({
      model: "hermes-agent",
      input: "Who am I?",
      previous_response_id: second.id,
      instructions: "Answer in one line.",
    });
    expect(third.instructions).toBe("Answer in one line.");
    expect(upstream.requests[2]?.body.messages).toEqual([
      { role: "system", content: "You are Hermes.\n\nAnswer in one line." },
      { role: "user", content: "I am Ada." },
      { role: "assistant", content: "Nice to meet you, Ada." },
      { role: "user", content: "I like blue." },
      { role: "assistant", content: "Blue is a fine color." },
      { role: "user", content: "Who am I?" },
    ]);
    expect(third.output_text).toBe("You are Ada and you like blue.");
  });

  it("chains by conversation name and refuses a conversation with previous_response_id", async () => {
    const name = `conv-${Date.now()}`;
    upstream.enqueue({ text: "First reply." }, { text: "Second reply." });
    await proxy.client.responses.create({ model: "hermes-agent", input: "one", conversation: name } as never);
    const second = await fetch(`${proxy.url}/v1/responses`, {
      method: "POST",
      body: JSON.stringify({ model: "hermes-agent", input: "two", conversation: name }),
    }).then((r) => r.json() as Promise<{ id: string }>);
    expect(upstream.requests[1]?.body.messages.map((m: { content: string }) => m.content)).toEqual(["You are Hermes.", "one", "First reply.", "two"]);

    const both = await fetch(`${proxy.url}/v1/responses`, {
      method: "POST",
      body: JSON.stringify({ input: "x", conversation: name, previous_response_id: second.id }),
    });
    expect(both.status).toBe(400);
    expect(((await both.json()) as { error: { param: string } }).error.param).toBe("conversation");
  });

  it("answers an unknown previous_response_id with 404, and store:false with a response that cannot be found again", async () => {
    const missing = await proxy.client.responses.create({ model: "hermes-agent", input: "x", previous_response_id: "resp_nope" }).catch((e: unknown) => e);
    expect((missing as APIError).status).toBe(404);
    expect((missing as APIError).code).toBe("previous_response_not_found");

    upstream.enqueue({ text: "ephemeral" });
    const ephemeral = await proxy.client.responses.create({ model: "hermes-agent", input: "x", store: false });
    expect((ephemeral as unknown as { store: boolean }).store).toBe(false);
    expect(((await proxy.client.responses.retrieve(ephemeral.id).catch((e: unknown) => e)) as APIError).status).toBe(404);
    const chained = await proxy.client.responses.create({ model: "hermes-agent", input: "y", previous_response_id: ephemeral.id }).catch((e: unknown) => e);
    expect((chained as APIError).status).toBe(404);
  });

  it("round-trips client function tools: function_call out, function_call_output back as a tool message", async () => {
    const tools = [
      {
        type: "function" as const,
        name: "get_weather",
        description: "Weather",
        parameters: { type: "object", properties: { city: { type: "string" } } },
        strict: false,
      },
    ];
    upstream.enqueue({ toolCalls: [{ id: "call_1", name: "get_weather", arguments: { city: "Oslo" } }] });
    const first = await proxy.client.responses.create({ model: "hermes-agent", input: "Weather in Oslo?", tools, tool_choice: "auto" });
    const call = first.output.find((item) => item.type === "function_call");
    expect(call).toMatchObject({ type: "function_call", call_id: "call_1", name: "get_weather", arguments: '{"city":"Oslo"}', status: "completed" });
    expect(first.status).toBe("completed");
    expect(upstream.requests[0]?.body.tools).toEqual([
      {
        type: "function",
        function: { name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: false },
      },
    ]);

    upstream.enqueue({ text: "It is snowing in Oslo." });
    const second = await proxy.client.responses.create({
      model: "hermes-agent",
      previous_response_id: first.id,
      tools,
      input: [{ type: "function_call_output", call_id: "call_1", output: '{"sky":"snow"}' }],
    });
    expect(second.output_text).toBe("It is snowing in Oslo.");
    expect(upstream.requests[1]?.body.messages.slice(-2)).toEqual([
      { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }] },
      { role: "tool", tool_call_id: "call_1", content: '{"sky":"snow"}' },
    ]);

    // The same round trip with the whole history in `input` and no stored state.
    upstream.enqueue({ text: "Still snowing." });
    await proxy.client.responses.create({
      model: "hermes-agent",
      store: false,
      tools,
      input: [
        { role: "user", content: "Weather in Oslo?" },
        { type: "function_call", call_id: "call_9", name: "get_weather", arguments: '{"city":"Oslo"}' },
        { type: "function_call_output", call_id: "call_9", output: "snow" },
      ],
    });
    expect(upstream.requests[2]?.body.messages.slice(-1)).toEqual([{ role: "tool", tool_call_id: "call_9", content: "snow" }]);
  });

  it("streams tool calls with argument deltas", async () => {
    upstream.enqueue({ toolCalls: [{ id: "call_s", name: "lookup", arguments: { query: "a fairly long query string" } }] });
    const events = [];
    const stream = await proxy.client.responses.create({
      model: "hermes-agent",
      input: "x",
      stream: true,
      tools: [{ type: "function", name: "lookup", parameters: { type: "object" }, strict: false }],
    });
    for await (const event of stream) events.push(event);
    const deltas = events.filter((event) => event.type === "response.function_call_arguments.delta").map((event) => (event as { delta: string }).delta);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join("")).toBe('{"query":"a fairly long query string"}');
    expect(events.find((event) => event.type === "response.function_call_arguments.done")).toMatchObject({
      arguments: '{"query":"a fairly long query string"}',
    });
  });

  it("takes the conversation_history extension and item references", async () => {
    upstream.enqueue({ text: "ok" });
    await fetch(`${proxy.url}/v1/responses`, {
      method: "POST",
      body: JSON.stringify({
        input: "and now?",
        conversation_history: [
          { role: "user", content: "earlier question" },
          { role: "assistant", content: "earlier answer" },
        ],
      }),
    });
    expect(upstream.requests[0]?.body.messages.map((m: { content: string }) => m.content)).toEqual([
      "You are Hermes.",
      "earlier question",
      "earlier answer",
      "and now?",
    ]);

    upstream.enqueue({ text: "first" }, { text: "second" });
    const first = await proxy.client.responses.create({ model: "hermes-agent", input: "quote me" });
    const userItem = (await proxy.client.responses.inputItems.list(first.id)).data[0]!;
    await proxy.client.responses.create({ model: "hermes-agent", previous_response_id: first.id, input: [{ type: "item_reference", id: userItem.id! }] });
    expect(upstream.requests.at(-1)?.body.messages.at(-1)).toEqual({ role: "user", content: "quote me" });
    const bad = await proxy.client.responses
      .create({ model: "hermes-agent", previous_response_id: first.id, input: [{ type: "item_reference", id: "msg_nope" }] })
      .catch((e: unknown) => e);
    expect((bad as APIError).code).toBe("item_not_found");
  });

  it("rejects malformed tools and bad fields with a 400 naming the param", async () => {
    const badTool = await fetch(`${proxy.url}/v1/responses`, {
      method: "POST",
      body: JSON.stringify({ input: "x", tools: [{ type: "namespace", name: "ns", tools: [{ type: "web_search" }] }] }),
    });
    expect(badTool.status).toBe(400);
    expect(((await badTool.json()) as { error: { param: string } }).error.param).toBe("tools[0].tools[0]");
    const badInput = await fetch(`${proxy.url}/v1/responses`, { method: "POST", body: JSON.stringify({ input: 42 }) });
    expect(((await badInput.json()) as { error: { param: string } }).error.param).toBe("input");
    const noInput = await fetch(`${proxy.url}/v1/responses`, { method: "POST", body: JSON.stringify({ model: "m" }) });
    expect(noInput.status).toBe(400);
    const badImage = await fetch(`${proxy.url}/v1/responses`, {
      method: "POST",
      body: JSON.stringify({ input: [{ role: "user", content: [{ type: "input_image", image_url: "file:///etc/passwd" }] }] }),
    });
    expect(((await badImage.json()) as { error: { code: string } }).error.code).toBe("invalid_image_url");
  });

  it("stores a stream the client abandons as incomplete and aborts the upstream call", async () => {
    upstream.enqueue({ text: Array.from({ length: 60 }, (_, i) => `w${i}`).join(" "), delayMs: 25 });
    const response = await fetch(`${proxy.url}/v1/responses`, { method: "POST", body: JSON.stringify({ input: "long", stream: true }) });
    const aborted = upstream.waitForAbort(3_000);
    let id = "";
    for await (const frame of readSse(response)) {
      const data = JSON.parse(frame.data);
      if (data.type === "response.created") id = data.response.id;
      if (data.type === "response.output_text.delta") break;
    }
    await response.body?.cancel();
    expect((await aborted).aborted).toBe(true);
    let stored;
    for (let i = 0; i < 50; i++) {
      stored = await proxy.client.responses.retrieve(id);
      if (stored.status !== "in_progress") break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(stored?.status).toBe("incomplete");
    expect(stored?.incomplete_details).toEqual({ reason: "client_disconnected" });
    expect(stored?.output_text.length).toBeGreaterThan(0);
  });

  it("runs in the background: queued at once, polled, re-attached from a sequence number, cancelled", async () => {
    upstream.enqueue({ text: "background answer done", delayMs: 20 });
    const queued = await proxy.client.responses.create({ model: "hermes-agent", input: "bg", background: true });
    expect(queued.status).toBe("queued");
    let polled = await proxy.client.responses.retrieve(queued.id);
    for (let i = 0; i < 100 && polled.status !== "completed"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      polled = await proxy.client.responses.retrieve(queued.id);
    }
    expect(polled.output_text).toBe("background answer done");
    // Followed while it runs, so its steps stream even though nobody streamed the create call.
    expect(upstream.requests.at(-1)?.body).toMatchObject({ stream: true });

    const replay = await fetch(`${proxy.url}/v1/responses/${queued.id}?stream=true&starting_after=2`);
    const sequences: number[] = [];
    for await (const frame of readSse(replay)) sequences.push(JSON.parse(frame.data).sequence_number);
    expect(sequences[0]).toBe(3);
    expect(sequences.at(-1)).toBeGreaterThan(5);

    upstream.enqueue({ text: Array.from({ length: 100 }, (_, i) => `w${i}`).join(" "), delayMs: 30 });
    const long = await proxy.client.responses.create({ model: "hermes-agent", input: "long bg", background: true });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const cancelled = await proxy.client.responses.cancel(long.id);
    expect(cancelled.status).toBe("cancelled");
    expect((await proxy.client.responses.retrieve(long.id)).status).toBe("cancelled");
  });

  it("computes an idempotent create once", async () => {
    upstream.enqueue({ text: "once" });
    const body = JSON.stringify({ input: "idempotent" });
    const headers = { "idempotency-key": "resp-key-1", "content-type": "application/json" };
    const a = await fetch(`${proxy.url}/v1/responses`, { method: "POST", body, headers }).then((r) => r.json() as Promise<{ id: string }>);
    const b = await fetch(`${proxy.url}/v1/responses`, { method: "POST", body, headers });
    expect(b.headers.get("idempotency-replayed")).toBe("true");
    expect(((await b.json()) as { id: string }).id).toBe(a.id);
    expect(upstream.requests).toHaveLength(1);
  });
});

describe("Responses truncation", () => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;
  beforeAll(async () => {
    upstream = await startFakeUpstream();
    proxy = await startProxy({ upstream: { baseURL: upstream.url, model: "fake-model" }, agent: { contextTokens: 60 } });
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  it("drops the oldest turns to fit the budget with truncation auto, and returns the upstream's context error otherwise", async () => {
    const long = "x".repeat(120);
    upstream.enqueue({ text: "a" }, { text: "b" }, { text: "c" });
    const first = await proxy.client.responses.create({ model: "m", input: `${long} one`, instructions: "keep me" });
    const second = await proxy.client.responses.create({ model: "m", input: `${long} two`, previous_response_id: first.id });
    await proxy.client.responses.create({ model: "m", input: "three", previous_response_id: second.id, truncation: "auto" });
    const sent = upstream.requests[2]?.body.messages as { role: string; content: string }[];
    expect(sent[0]).toEqual({ role: "system", content: "keep me" });
    expect(sent.some((message) => message.content.endsWith("one"))).toBe(false);
    expect(sent.at(-1)).toEqual({ role: "user", content: "three" });

    upstream.enqueue({
      status: 400,
      body: { error: { message: "maximum context length exceeded", type: "invalid_request_error", code: "context_length_exceeded" } },
    });
    const error = await proxy.client.responses
      .create({ model: "m", input: "four", previous_response_id: second.id, truncation: "disabled" })
      .catch((e: unknown) => e);
    expect((error as APIError).status).toBe(400);
    expect((error as APIError).code).toBe("context_length_exceeded");
  });
});

describe("Responses storage growth", () => {
  it("stores a 200-turn conversation in at most twice the bytes of its messages", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hermes-growth-"));
    const upstream = await startFakeUpstream();
    const proxy = await startProxy({ upstream: { baseURL: upstream.url, model: "fake-model" }, storage: `fs:${dir}` });
    try {
      let previous: string | undefined;
      let messageBytes = 0;
      const perTurn: number[] = [];
      const storedBytes = () => sumFileBytes(join(dir, "responses"));
      for (let turn = 0; turn < 200; turn++) {
        const question = `Question ${turn}: ${"what comes next in this long conversation? ".repeat(8)}`;
        const answer = `Answer ${turn}: ${"here is a thoughtful and fairly long reply. ".repeat(8)}`;
        upstream.enqueue({ text: answer, chunks: 1 });
        const before = storedBytes();
        const response = await proxy.client.responses.create({ model: "m", input: question, ...(previous && { previous_response_id: previous }) });
        previous = response.id;
        messageBytes += Buffer.byteLength(question) + Buffer.byteLength(answer);
        perTurn.push(storedBytes() - before);
      }
      const total = storedBytes();
      console.log(`200 turns: ${total} bytes stored for ${messageBytes} bytes of messages (${(total / 200).toFixed(0)} bytes per turn)`);
      expect(total).toBeLessThanOrEqual(2 * messageBytes);
      // Linear: the last turn costs no more than the first.
      expect(perTurn.at(-1)!).toBeLessThanOrEqual(perTurn[0]! * 1.1);
      // The upstream still got the whole history on the last turn.
      expect(upstream.requests.at(-1)?.body.messages).toHaveLength(399);
    } finally {
      await proxy.close();
      await upstream.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

function sumFileBytes(dir: string): number {
  let total = 0;
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry);
    const stat = statSync(path);
    total += stat.isDirectory() ? sumFileBytes(path) : stat.size;
  }
  return total;
}

describe("Responses API over a Responses upstream", () => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;
  beforeAll(async () => {
    upstream = await startFakeUpstream();
    proxy = await startProxy({ upstream: { baseURL: upstream.url, model: "fake-model", api: "responses" } });
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  it("chains with our own state, sending the upstream full history with store:false", async () => {
    upstream.enqueue({ text: "First answer." });
    const first = await proxy.client.responses.create({ model: "hermes-agent", input: "First question", instructions: "Be kind." });
    expect(first.output_text).toBe("First answer.");
    upstream.enqueue({ reasoning: "Considering.", text: "Second answer." });
    const stream = proxy.client.responses.stream({ model: "hermes-agent", input: "Second question", previous_response_id: first.id });
    const second = await stream.finalResponse();
    expect(second.output_text).toBe("Second answer.");
    expect(second.output.map((item) => item.type)).toEqual(["reasoning", "message"]);
    const sent = upstream.requests[1]!;
    expect(sent.path).toBe("/v1/responses");
    expect(sent.body).toMatchObject({ model: "fake-model", store: false, stream: true, instructions: "Be kind." });
    expect(sent.body.previous_response_id).toBeUndefined();
    expect(sent.body.input).toEqual([
      { type: "message", role: "user", content: [{ type: "input_text", text: "First question" }] },
      { type: "message", role: "assistant", content: "First answer." },
      { type: "message", role: "user", content: [{ type: "input_text", text: "Second question" }] },
    ]);
  });

  it("hands client function calls back and sends their outputs upstream", async () => {
    const tools = [{ type: "function" as const, name: "lookup", parameters: { type: "object" }, strict: false }];
    upstream.enqueue({ toolCalls: [{ id: "call_r", name: "lookup", arguments: { q: "x" } }] });
    const first = await proxy.client.responses.create({ model: "hermes-agent", input: "find x", tools });
    expect(first.output[0]).toMatchObject({ type: "function_call", call_id: "call_r", name: "lookup", arguments: '{"q":"x"}' });
    upstream.enqueue({ text: "found it" });
    const second = await proxy.client.responses.create({
      model: "hermes-agent",
      previous_response_id: first.id,
      tools,
      input: [{ type: "function_call_output", call_id: "call_r", output: "x=1" }],
    });
    expect(second.output_text).toBe("found it");
    expect(upstream.requests[1]?.body.input.slice(-2)).toEqual([
      { type: "function_call", call_id: "call_r", name: "lookup", arguments: '{"q":"x"}' },
      { type: "function_call_output", call_id: "call_r", output: "x=1" },
    ]);
  });
});
