import { afterAll, beforeAll, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { startProxy, type TestProxy } from "../helpers/proxy.ts";
import { describeRedis, redisSpec } from "../helpers/redis.ts";

const KEY = "sessions-redis-key-0123456789abcdef";

type Json = Record<string, any>;

/**
 * Two proxies on one Redis (each with its own connections and coordination, as two processes have):
 * a session recorded by one is listed, read, forked and continued by the other, and turns recorded
 * on both at once lose no counter.
 */
describeRedis("the Sessions API on a shared Redis", ({ prefix }) => {
  let upstream: FakeUpstream;
  let a: TestProxy;
  let b: TestProxy;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    const config = { server: { apiKey: KEY }, upstream: { baseURL: upstream.url, model: "fake-model" }, storage: redisSpec(`${prefix}:sessions`) };
    [a, b] = await Promise.all([startProxy(config), startProxy(config)]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await upstream.close();
  });

  const call = async (proxy: TestProxy, method: string, path: string, body?: unknown, status = 200): Promise<Json> => {
    const response = await fetch(`${proxy.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const parsed = (await response.json()) as Json;
    expect(response.status, JSON.stringify(parsed)).toBe(status);
    return parsed;
  };

  it("records on one proxy, lists, forks and chats on the other", async () => {
    upstream.enqueue({ text: "Hi Cy.", usage: { inputTokens: 3, outputTokens: 2 } });
    const first = await a.client.responses.create({ model: "fake-model", input: "I am Cy." }).withResponse();
    const id = first.response.headers.get("x-hermes-session-id")!;

    const listed = await call(b, "GET", "/api/sessions?limit=200");
    expect(listed.data.find((entry: Json) => entry.id === id)).toMatchObject({ source: "responses", message_count: 2, total_tokens: 5 });
    await call(b, "POST", `/api/sessions/${id}/fork`, { id: "cy-fork" }, 201);

    upstream.reset();
    upstream.enqueue({ text: "You are Cy." });
    expect(await call(a, "POST", "/api/sessions/cy-fork/chat", { message: "Who am I?" })).toMatchObject({ message: { content: "You are Cy." } });
    expect(upstream.requests[0]?.body.messages.map((message: Json) => message.content)).toEqual(["I am Cy.", "Hi Cy.", "Who am I?"]);
    const messages = await call(b, "GET", "/api/sessions/cy-fork/messages");
    expect(messages.data.map((message: Json) => message.content)).toEqual(["I am Cy.", "Hi Cy.", "Who am I?", "You are Cy."]);
    expect((await call(b, "GET", `/api/sessions/${id}`)).session).toMatchObject({ end_reason: "branched" });
  });

  it("keeps turn_count and usage exact when Chat turns on one session alternate between the proxies", async () => {
    // Each proxy remembers the record it wrote last; the other one's turn in between makes that stale,
    // and the compare-and-set retries on the value Redis answers with.
    upstream.reset();
    const history: { role: "user" | "assistant"; content: string }[] = [{ role: "user", content: "Alternate with me." }];
    let id = "";
    for (let turn = 1; turn <= 6; turn++) {
      upstream.enqueue({ text: `Turn ${turn}.`, usage: { inputTokens: turn, outputTokens: 1 } });
      const reply = await (turn % 2 === 1 ? a : b).client.chat.completions.create({ model: "fake-model", messages: history }).withResponse();
      id = reply.response.headers.get("x-hermes-session-id")!;
      expect(reply.data.choices[0]?.message.content).toBe(`Turn ${turn}.`);
      // Written after the answer went out: the next turn, on the other proxy, starts once it landed.
      await expect.poll(async () => (await call(turn % 2 === 1 ? b : a, "GET", `/api/sessions/${id}`)).session.turn_count).toBe(turn);
      history.push({ role: "assistant", content: `Turn ${turn}.` }, { role: "user", content: `Go on (${turn}).` });
    }
    expect((await call(a, "GET", `/api/sessions/${id}`)).session).toMatchObject({
      source: "chat",
      turn_count: 6,
      message_count: 12,
      input_tokens: 21,
      output_tokens: 6,
      total_tokens: 27,
    });
    expect(upstream.requests.map((request) => request.body.messages.length)).toEqual([1, 3, 5, 7, 9, 11]);

    // Both at once: three turns from each, none lost.
    upstream.reset();
    for (let turn = 0; turn < 6; turn++) upstream.enqueue({ text: "Again.", usage: { inputTokens: 1, outputTokens: 1 } });
    await Promise.all([a, b, a, b, a, b].map((proxy) => proxy.client.chat.completions.create({ model: "fake-model", messages: history })));
    await expect.poll(async () => (await call(b, "GET", `/api/sessions/${id}`)).session.turn_count).toBe(12);
    expect((await call(a, "GET", `/api/sessions/${id}`)).session).toMatchObject({ input_tokens: 27, output_tokens: 12, total_tokens: 39 });
  });

  it("counts the turns of runs on one session from both proxies at once", async () => {
    await call(a, "POST", "/api/sessions", { id: "shared-runs" }, 201);
    const runIds = await Promise.all(
      [a, b, a, b].map(async (proxy, index) => ({
        proxy,
        id: (await call(proxy, "POST", "/v1/runs", { input: `turn ${index}`, session_id: "shared-runs" }, 202)).run_id as string,
      })),
    );
    for (const { proxy, id } of runIds) await (await fetch(`${proxy.url}/v1/runs/${id}/events`, { headers: { authorization: `Bearer ${KEY}` } })).text();
    const session = (await call(b, "GET", "/api/sessions/shared-runs")).session;
    expect(session).toMatchObject({ turn_count: 4, message_count: 8 });
    expect((await call(a, "GET", "/api/sessions/shared-runs/messages")).data).toHaveLength(8);
  });
});
