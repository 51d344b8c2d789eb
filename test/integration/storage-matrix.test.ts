import type { APIError } from "openai";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { startProxy, type TestProxy } from "../helpers/proxy.ts";
import { parseSse } from "../helpers/sse.ts";
import { describeStorages } from "../helpers/storages.ts";

const KEY = "matrix-test-key-0123456789abcdef";

/**
 * The main Chat, Responses and Runs flows on every driver: the same requests, the same answers,
 * whatever keeps the state. (The full suites run on memory; these are the flows that touch storage.)
 */
describeStorages("storage matrix", (target) => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;
  let spec: string;
  const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
  const post = (path: string, body: unknown, extra: Record<string, string> = {}) =>
    fetch(`${proxy.url}${path}`, { method: "POST", headers: { ...headers, ...extra }, body: JSON.stringify(body) });
  const start = () => startProxy({ storage: spec, server: { apiKey: KEY }, upstream: { baseURL: upstream.url, model: "fake-model", maxRetries: 0 } });

  beforeAll(async () => {
    spec = target.spec();
    upstream = await startFakeUpstream();
    proxy = await start();
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  it("chains Responses turns by previous_response_id, carrying instructions", async () => {
    upstream.enqueue({ text: "Hi Ada." }, { text: "Blue." }, { text: "Ada, blue." });
    const first = await proxy.client.responses.create({ model: "m", input: "I am Ada.", instructions: "Be brief." });
    const second = await proxy.client.responses.create({ model: "m", input: "I like blue.", previous_response_id: first.id });
    const third = await proxy.client.responses.create({ model: "m", input: "Who am I?", previous_response_id: second.id });
    expect(third.instructions).toBe("Be brief.");
    expect(upstream.requests[2]?.body.messages.map((m: { content: string }) => m.content)).toEqual([
      "Be brief.",
      "I am Ada.",
      "Hi Ada.",
      "I like blue.",
      "Blue.",
      "Who am I?",
    ]);
    expect((await proxy.client.responses.retrieve(second.id)).output_text).toBe("Blue.");
    expect((await proxy.client.responses.inputItems.list(second.id)).data).toHaveLength(1);
  });

  it("adds turns to a conversation name; a deleted response leaves them, a deleted item goes; an item_reference finds any stored item", async () => {
    const conversation = `matrix-${target.name}`;
    const texts = (index: number) => upstream.requests[index]?.body.messages.map((m: { content: string }) => m.content);
    upstream.enqueue({ text: "one back" }, { text: "two back" });
    await post("/v1/responses", { input: "one", conversation });
    const second = (await (await post("/v1/responses", { input: "two", conversation })).json()) as {
      id: string;
      conversation: { id: string };
      output: { id: string }[];
    };
    expect(second.conversation).toEqual({ id: conversation });
    expect(texts(1)).toEqual(["one", "one back", "two"]);
    // The conversation owns its items: deleting a response does not take them out of it.
    expect((await fetch(`${proxy.url}/v1/responses/${second.id}`, { method: "DELETE", headers })).status).toBe(200);
    const items = await proxy.client.conversations.items.list(conversation, { order: "asc" });
    expect(items.data.map((item) => item.type === "message" && item.content.map((part) => ("text" in part ? part.text : "")).join(""))).toEqual([
      "one",
      "one back",
      "two",
      "two back",
    ]);
    await proxy.client.conversations.items.delete(items.data[1]!.id!, { conversation_id: conversation });
    upstream.enqueue({ text: "three back" });
    await post("/v1/responses", { input: "three", conversation });
    expect(texts(2)).toEqual(["one", "two", "two back", "three"]);
    // A conversation's item is referenced from a turn that names neither it nor a previous response.
    upstream.enqueue({ text: "quoted" });
    const quoted = await post("/v1/responses", {
      input: [
        { type: "item_reference", id: items.data[3]!.id },
        { role: "user", content: "again" },
      ],
    });
    expect(quoted.status).toBe(200);
    expect(texts(3)).toEqual(["two back", "again"]);
  });

  it("round-trips a client function tool through the stored chain", async () => {
    const tools = [{ type: "function" as const, name: "get_weather", parameters: { type: "object" }, strict: false }];
    upstream.enqueue({ toolCalls: [{ id: "call_m", name: "get_weather", arguments: { city: "Oslo" } }] }, { text: "Snow." });
    const first = await proxy.client.responses.create({ model: "m", input: "Weather?", tools });
    const second = await proxy.client.responses.create({
      model: "m",
      previous_response_id: first.id,
      tools,
      input: [{ type: "function_call_output", call_id: "call_m", output: "snow" }],
    });
    expect(second.output_text).toBe("Snow.");
    expect(upstream.requests[1]?.body.messages.slice(-2)).toEqual([
      { role: "assistant", content: null, tool_calls: [{ id: "call_m", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }] },
      { role: "tool", tool_call_id: "call_m", content: "snow" },
    ]);
  });

  it("stores a streamed response before its terminal event: chaining at once finds it", async () => {
    upstream.enqueue({ text: "streamed answer" }, { text: "next" });
    const stream = await proxy.client.responses.create({ model: "m", input: "stream", stream: true });
    let id = "";
    for await (const event of stream) if (event.type === "response.completed") id = event.response.id;
    const next = await proxy.client.responses.create({ model: "m", input: "and?", previous_response_id: id });
    expect(next.output_text).toBe("next");
    expect(upstream.requests[1]?.body.messages.map((m: { content: string }) => m.content)).toEqual(["stream", "streamed answer", "and?"]);
  });

  it("continues a Chat Completions session by X-Hermes-Session-Id", async () => {
    upstream.enqueue({ text: "Hello Ada." }, { text: "You are Ada." });
    const first = await post("/v1/chat/completions", { messages: [{ role: "user", content: "I am Ada." }] });
    const session = first.headers.get("x-hermes-session-id")!;
    await first.json();
    const second = await post("/v1/chat/completions", { messages: [{ role: "user", content: "Who am I?" }] }, { "x-hermes-session-id": session });
    expect(second.status).toBe(200);
    expect(upstream.requests[1]?.body.messages.map((m: { content: string }) => m.content)).toEqual(["I am Ada.", "Hello Ada.", "Who am I?"]);
  });

  it("replays an idempotent create", async () => {
    upstream.enqueue({ text: "once" });
    const body = { input: `idempotent on ${target.name}` };
    const a = (await (await post("/v1/responses", body, { "idempotency-key": "matrix-key" })).json()) as { id: string };
    const b = await post("/v1/responses", body, { "idempotency-key": "matrix-key" });
    expect(b.headers.get("idempotency-replayed")).toBe("true");
    expect(((await b.json()) as { id: string }).id).toBe(a.id);
    expect(upstream.requests).toHaveLength(1);
  });

  it("streams a run, replays it after Last-Event-ID, and continues a stored response in a run", async () => {
    upstream.enqueue({ text: "Nice to meet you, Ann." }, { text: "one two three" });
    const stored = (await (await post("/v1/responses", { input: "My name is Ann." })).json()) as { id: string };
    const started = await post("/v1/runs", { input: "count", previous_response_id: stored.id });
    const { run_id } = (await started.json()) as { run_id: string };
    const events = parseSse(await (await fetch(`${proxy.url}/v1/runs/${run_id}/events`, { headers })).text());
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ event: "run.completed", output: "one two three" });
    const resumed = parseSse(await (await fetch(`${proxy.url}/v1/runs/${run_id}/events`, { headers: { ...headers, "last-event-id": "2" } })).text());
    expect(resumed).toEqual(events.slice(2));
    expect(upstream.requests[1]?.body.messages.map((m: { content: string }) => m.content)).toEqual(["My name is Ann.", "Nice to meet you, Ann.", "count"]);
  });

  it("cancels a background response", async () => {
    upstream.enqueue({ text: Array.from({ length: 60 }, (_, i) => `w${i}`).join(" "), delayMs: 20 });
    const queued = await proxy.client.responses.create({ model: "m", input: "long", background: true });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await proxy.client.responses.cancel(queued.id)).status).toBe("cancelled");
    expect((await proxy.client.responses.retrieve(queued.id)).status).toBe("cancelled");
  });

  it(target.durable ? "keeps the chain across a restart" : "forgets the chain at a restart, and says so with a 404 (memory)", async () => {
    upstream.enqueue({ text: "before" }, { text: "after" });
    const before = await proxy.client.responses.create({ model: "m", input: "remember me" });
    await proxy.close();
    proxy = await start();
    if (!target.durable) {
      const gone = await proxy.client.responses
        .create({ model: "m", input: "still there?", previous_response_id: before.id })
        .catch((error: APIError) => error);
      expect((gone as APIError).status).toBe(404);
      expect(upstream.requests).toHaveLength(1);
      return;
    }
    const after = await proxy.client.responses.create({ model: "m", input: "still there?", previous_response_id: before.id });
    expect(after.output_text).toBe("after");
    expect(upstream.requests[1]?.body.messages.map((m: { content: string }) => m.content)).toEqual(["remember me", "before", "still there?"]);
    const missing = await proxy.client.responses.create({ model: "m", input: "x", previous_response_id: "resp_missing" }).catch((error: APIError) => error);
    expect((missing as APIError).status).toBe(404);
  });
});
