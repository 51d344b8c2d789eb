import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { definePlugin, defineTool } from "../../sdk/index.ts";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { startProxy, type TestProxy } from "../helpers/proxy.ts";
import { parseSse } from "../helpers/sse.ts";

const KEY = "sessions-test-key-0123456789abcdef";

type Json = Record<string, any>;

describe("the Sessions API", () => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;

  const clock = defineTool({
    name: "clock",
    description: "The time",
    parameters: z.object({ zone: z.string() }),
    label: ({ zone }) => `Time in ${zone}`,
    execute: ({ zone }) => `12:00 in ${zone}`,
  });

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    proxy = await startProxy({
      server: { apiKey: KEY },
      upstream: { baseURL: upstream.url, model: "fake-model", maxRetries: 0 },
      plugins: [definePlugin({ name: "session-tools", tools: [clock] })],
    });
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  const call = (method: string, path: string, body?: unknown, key = KEY) =>
    fetch(`${proxy.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      ...(body !== undefined && { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
  const json = async (method: string, path: string, body?: unknown, status = 200): Promise<Json> => {
    const response = await call(method, path, body);
    const parsed = (await response.json()) as Json;
    expect(response.status, JSON.stringify(parsed)).toBe(status);
    return parsed;
  };
  const session = (id: string) => json("GET", `/api/sessions/${encodeURIComponent(id)}`).then((body) => body.session as Json);
  const messages = (id: string) => json("GET", `/api/sessions/${encodeURIComponent(id)}/messages`).then((body) => body.data as Json[]);
  /** A chat session is written after its answer went out: wait for the turn to land. */
  const settled = (id: string, turns: number) =>
    expect.poll(async () => ((await call("GET", `/api/sessions/${id}`)).ok ? (await session(id)).turn_count : 0)).toBe(turns);
  const roles = (list: Json[]) => list.map((message) => `${message.role}:${typeof message.content === "string" ? message.content : "-"}`);

  it("lists a Chat Completions session by its derived id and by X-Hermes-Session-Id, with counts, usage and messages", async () => {
    upstream.enqueue({ text: "Hello Ada.", usage: { inputTokens: 10, outputTokens: 3 } }, { text: "Still here.", usage: { inputTokens: 20, outputTokens: 2 } });
    const opening = [
      { role: "system" as const, content: "Be terse." },
      { role: "user" as const, content: "My name is Ada." },
    ];
    const first = await proxy.client.chat.completions.create({ model: "fake-model", messages: opening }).withResponse();
    const id = first.response.headers.get("x-hermes-session-id")!;
    expect(id).toMatch(/^api-[0-9a-f]{16}$/);
    await settled(id, 1);
    await proxy.client.chat.completions.create({
      model: "fake-model",
      messages: [...opening, { role: "assistant", content: "Hello Ada." }, { role: "user", content: "ok" }],
    });
    await settled(id, 2);
    expect(await session(id)).toMatchObject({
      source: "chat",
      model: "fake-model",
      message_count: 5,
      input_tokens: 30,
      output_tokens: 5,
      total_tokens: 35,
      preview: "My name is Ada.",
    });

    // Continued by header: the turn is appended.
    upstream.enqueue({ text: "Ada.", usage: { inputTokens: 30, outputTokens: 1 } });
    await proxy.client.chat.completions.create(
      { model: "fake-model", messages: [{ role: "user", content: "Who am I?" }] },
      { headers: { "X-Hermes-Session-Id": id } },
    );
    await settled(id, 3);
    expect(await session(id)).toMatchObject({ message_count: 7, input_tokens: 60, total_tokens: 66 });
    expect(roles(await messages(id))).toEqual([
      "system:Be terse.",
      "user:My name is Ada.",
      "assistant:Hello Ada.",
      "user:ok",
      "assistant:Still here.",
      "user:Who am I?",
      "assistant:Ada.",
    ]);
    const listed = await json("GET", "/api/sessions");
    expect(listed).toMatchObject({ object: "list", limit: 50, offset: 0, has_more: false });
    expect(listed.data.map((entry: Json) => entry.id)).toContain(id);
  });

  it("lists a Responses session along its previous_response_id chain, without copying the chain", async () => {
    upstream.enqueue({ text: "Paris.", usage: { inputTokens: 5, outputTokens: 1 } }, { text: "About 2 million.", usage: { inputTokens: 9, outputTokens: 3 } });
    const first = await proxy.client.responses.create({ model: "fake-model", input: "Capital of France?" }).withResponse();
    const id = first.response.headers.get("x-hermes-session-id")!;
    expect(id).toMatch(/^sess_/);
    const second = await proxy.client.responses.create({ model: "fake-model", input: "Population?", previous_response_id: first.data.id });
    // Stored before the terminal event went out: readable at once.
    expect(await session(id)).toMatchObject({
      source: "responses",
      message_count: 4,
      turn_count: 2,
      input_tokens: 14,
      output_tokens: 4,
      total_tokens: 18,
      preview: "Capital of France?",
    });
    expect(roles(await messages(id))).toEqual(["user:Capital of France?", "assistant:Paris.", "user:Population?", "assistant:About 2 million."]);
    expect((await messages(id)).at(-1)).toMatchObject({ id: second.output[0]!.id, session_id: id });
  });

  it("lists a Runs session (session_id), appends the next run on it, and sends its history upstream", async () => {
    const run = async (input: string) => {
      const started = await json("POST", "/v1/runs", { input, session_id: "run-session-1" }, 202);
      await (await call("GET", `/v1/runs/${started.run_id}/events`)).text();
      return started.run_id as string;
    };
    upstream.enqueue({ text: "Noted.", usage: { inputTokens: 4, outputTokens: 2 } }, { text: "Blue.", usage: { inputTokens: 8, outputTokens: 1 } });
    await run("My favourite colour is blue.");
    expect(await session("run-session-1")).toMatchObject({ source: "runs", message_count: 2, input_tokens: 4, output_tokens: 2 });
    await run("What is my favourite colour?");
    expect(upstream.requests[1]?.body.messages).toEqual([
      { role: "user", content: "My favourite colour is blue." },
      { role: "assistant", content: "Noted." },
      { role: "user", content: "What is my favourite colour?" },
    ]);
    expect(await session("run-session-1")).toMatchObject({ message_count: 4, turn_count: 2, input_tokens: 12, output_tokens: 3 });
    expect(roles(await messages("run-session-1"))).toEqual([
      "user:My favourite colour is blue.",
      "assistant:Noted.",
      "user:What is my favourite colour?",
      "assistant:Blue.",
    ]);
  });

  it("forks a session, then chats on the fork: the upstream gets the forked history and the new message", async () => {
    upstream.enqueue({ text: "Hi Bo." });
    const first = await proxy.client.chat.completions.create({ model: "fake-model", messages: [{ role: "user", content: "I am Bo." }] }).withResponse();
    const source = first.response.headers.get("x-hermes-session-id")!;
    await settled(source, 1);

    const forked = await json("POST", `/api/sessions/${source}/fork`, { id: "bo-fork", title: "Bo, again" }, 201);
    expect(forked).toMatchObject({
      object: "hermes.session",
      session: { id: "bo-fork", source: "fork", parent_session_id: source, title: "Bo, again", message_count: 2 },
    });
    expect(await session(source)).toMatchObject({ end_reason: "branched", ended_at: expect.any(Number) });
    await json("POST", `/api/sessions/${source}/fork`, { id: "bo-fork" }, 409);

    upstream.reset();
    upstream.enqueue({ text: "You are Bo.", usage: { inputTokens: 12, outputTokens: 3 } });
    const response = await call("POST", "/api/sessions/bo-fork/chat", { message: "Who am I?" });
    const body = (await response.json()) as Json;
    expect(response.status).toBe(200);
    expect(body).toEqual({
      object: "hermes.session.chat.completion",
      session_id: "bo-fork",
      run_id: expect.stringMatching(/^run_[0-9a-f]{32}$/),
      message: { role: "assistant", content: "You are Bo." },
      usage: { input_tokens: 12, output_tokens: 3, total_tokens: 15 },
    });
    expect(response.headers.get("x-hermes-session-id")).toBe("bo-fork");
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]?.body.messages).toEqual([
      { role: "user", content: "I am Bo." },
      { role: "assistant", content: "Hi Bo." },
      { role: "user", content: "Who am I?" },
    ]);
    expect(await session("bo-fork")).toMatchObject({ message_count: 4, turn_count: 1, input_tokens: 12 });
    // The source is untouched by the fork's turn.
    expect(await session(source)).toMatchObject({ message_count: 2 });
    expect(await json("GET", `/v1/runs/${body.run_id}`)).toMatchObject({ status: "completed", session_id: "bo-fork", output: "You are Bo." });
  });

  it("forks and continues sessions that came through the Responses API and the Runs API", async () => {
    upstream.enqueue({ text: "Noted: 42." }, { text: "It was 42." }, { text: "Still 42." });
    const answer = await proxy.client.responses.create({ model: "fake-model", input: "Remember 42." }).withResponse();
    const responsesSession = answer.response.headers.get("x-hermes-session-id")!;
    const forked = await json("POST", `/api/sessions/${responsesSession}/fork`, { id: "responses-fork" }, 201);
    expect(forked.session).toMatchObject({ source: "fork", parent_session_id: responsesSession, message_count: 2 });
    // Chatting on the Responses session itself: its chain becomes the session's own history first.
    await json("POST", `/api/sessions/${responsesSession}/chat`, { message: "What number?" });
    await json("POST", "/api/sessions/responses-fork/chat", { input: "And now?" });
    const remembered = [
      { role: "user", content: "Remember 42." },
      { role: "assistant", content: "Noted: 42." },
    ];
    expect(upstream.requests[1]?.body.messages).toEqual([...remembered, { role: "user", content: "What number?" }]);
    expect(upstream.requests[2]?.body.messages).toEqual([...remembered, { role: "user", content: "And now?" }]);
    expect(roles(await messages(responsesSession))).toEqual(["user:Remember 42.", "assistant:Noted: 42.", "user:What number?", "assistant:It was 42."]);
    expect(roles(await messages("responses-fork"))).toEqual(["user:Remember 42.", "assistant:Noted: 42.", "user:And now?", "assistant:Still 42."]);

    upstream.reset();
    upstream.enqueue({ text: "Stored." }, { text: "Tea." }, { text: "Coffee, then." });
    const started = await json("POST", "/v1/runs", { input: "I drink tea.", session_id: "runs-origin" }, 202);
    await (await call("GET", `/v1/runs/${started.run_id}/events`)).text();
    await json("POST", "/api/sessions/runs-origin/fork", { id: "runs-fork" }, 201);
    await json("POST", "/api/sessions/runs-origin/chat", { message: "What do I drink?" });
    await json("POST", "/api/sessions/runs-fork/chat", { message: "Suggest something else." });
    const tea = [
      { role: "user", content: "I drink tea." },
      { role: "assistant", content: "Stored." },
    ];
    expect(upstream.requests[1]?.body.messages).toEqual([...tea, { role: "user", content: "What do I drink?" }]);
    expect(upstream.requests[2]?.body.messages).toEqual([...tea, { role: "user", content: "Suggest something else." }]);
    expect(await session("runs-origin")).toMatchObject({ source: "runs", message_count: 4, turn_count: 2 });
    expect(await session("runs-fork")).toMatchObject({ source: "fork", parent_session_id: "runs-origin", message_count: 4 });
  });

  it("streams a session chat turn as named events with seq and run_id, runs tools, and shows the run at /v1/runs/{id}", async () => {
    await json("POST", "/api/sessions", { id: "stream-me", system_prompt: "Answer with the time." }, 201);
    upstream.enqueue(
      { toolCalls: [{ id: "call_t", name: "clock", arguments: { zone: "UTC" } }], usage: { inputTokens: 5, outputTokens: 2 } },
      { text: "It is noon.", usage: { inputTokens: 9, outputTokens: 3 } },
    );
    const response = await call("POST", "/api/sessions/stream-me/chat/stream", { message: "Time?" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const runId = response.headers.get("x-hermes-run-id")!;
    const frames = parseSse(await response.text());
    expect(frames.map((frame) => frame.event)).toEqual([
      "run.started",
      "message.started",
      "tool.started",
      "tool.completed",
      "assistant.delta",
      "assistant.delta",
      "assistant.delta",
      "assistant.completed",
      "run.completed",
      "done",
    ]);
    const payloads = frames.map((frame) => JSON.parse(frame.data) as Json);
    expect(payloads.map((payload) => payload.seq)).toEqual(payloads.map((_, index) => index + 1));
    for (const payload of payloads) expect(payload).toMatchObject({ session_id: "stream-me", run_id: runId, ts: expect.any(Number) });
    expect(runId).toMatch(/^run_[0-9a-f]{32}$/);
    expect(payloads[0]).toMatchObject({ user_message: { role: "user", content: "Time?" } });
    const messageId = payloads[1]!.message.id;
    expect(messageId).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(payloads[2]).toMatchObject({ message_id: messageId, tool_name: "clock", preview: "Time in UTC", args: { zone: "UTC" } });
    expect(payloads[7]).toMatchObject({ content: "It is noon.", completed: true, partial: false, interrupted: false });
    expect(payloads[8]).toMatchObject({
      completed: true,
      usage: { input_tokens: 14, output_tokens: 5, total_tokens: 19 },
      messages: [
        { role: "assistant", content: null, tool_calls: [{ id: "call_t", function: { name: "clock" } }] },
        { role: "tool", tool_call_id: "call_t", tool_name: "clock", content: "12:00 in UTC" },
        { role: "assistant", content: "It is noon." },
      ],
    });
    // The session's system prompt went upstream as instructions; the turn was recorded.
    expect(upstream.requests[0]?.body.messages[0]).toEqual({ role: "system", content: "Answer with the time." });
    expect(await session("stream-me")).toMatchObject({ source: "api", has_system_prompt: true, message_count: 4, tool_call_count: 1, total_tokens: 19 });
    expect(await json("GET", `/v1/runs/${runId}`)).toMatchObject({ object: "hermes.run", status: "completed", session_id: "stream-me", output: "It is noon." });
    const runEvents = parseSse(await (await call("GET", `/v1/runs/${runId}/events`)).text()).map((frame) => JSON.parse(frame.data).event);
    expect(runEvents).toEqual(["tool.started", "tool.completed", "message.delta", "message.delta", "message.delta", "run.completed"]);
  });

  it("stops the turn's run when the streaming client goes away, and records nothing", async () => {
    await json("POST", "/api/sessions", { id: "walk-away" }, 201);
    upstream.enqueue({ hang: true });
    const controller = new AbortController();
    const response = await fetch(`${proxy.url}/api/sessions/walk-away/chat/stream`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ message: "hello?" }),
      signal: controller.signal,
    });
    const runId = response.headers.get("x-hermes-run-id")!;
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain("event: run.started");
    controller.abort();
    await expect.poll(async () => (await json("GET", `/v1/runs/${runId}`)).status).toBe("cancelled");
    await upstream.waitForAbort();
    expect(await session("walk-away")).toMatchObject({ turn_count: 0, message_count: 0 });
  });

  it("creates, reads, patches, deletes and validates, with the OpenAI error envelope", async () => {
    const created = await json("POST", "/api/sessions", { title: "Notes" }, 201);
    expect(created.session).toMatchObject({
      id: expect.stringMatching(/^sess_[0-9a-f]{32}$/),
      source: "api",
      title: "Notes",
      message_count: 0,
      model: "hermes-agent",
    });
    await json("POST", "/api/sessions", { id: "crud-1" }, 201);
    expect((await json("POST", "/api/sessions", { session_id: "crud-1" }, 409)).error).toMatchObject({ code: "session_exists", type: "invalid_request_error" });

    expect(await json("PATCH", "/api/sessions/crud-1", { title: "Renamed", ended: true })).toMatchObject({
      session: { title: "Renamed", end_reason: "ended" },
    });
    expect((await json("PATCH", "/api/sessions/crud-1", { title: "x", model: "m", hidden: true }, 400)).error).toEqual({
      message: expect.stringContaining("'model', 'hidden'"),
      type: "invalid_request_error",
      param: "model,hidden",
      code: "unsupported_session_field",
    });
    expect((await json("PATCH", "/api/sessions/crud-1", { title: "t".repeat(201) }, 400)).error).toMatchObject({ code: "invalid_title", param: "title" });
    expect((await json("PATCH", "/api/sessions/nobody", { title: "x" }, 404)).error).toMatchObject({ code: "session_not_found" });

    expect(await json("DELETE", "/api/sessions/crud-1")).toEqual({ object: "hermes.session.deleted", id: "crud-1", deleted: true });
    for (const path of ["/api/sessions/crud-1", "/api/sessions/crud-1/messages"])
      expect((await json("GET", path, undefined, 404)).error.code).toBe("session_not_found");
    await json("DELETE", "/api/sessions/crud-1", undefined, 404);
    expect((await json("POST", "/api/sessions/crud-1/chat", { message: "hi" }, 404)).error.code).toBe("session_not_found");
    expect((await json("POST", "/api/sessions/crud-1/fork", undefined, 404)).error.code).toBe("session_not_found");

    // Ids: control characters and over-long ids are refused; hostile but printable ids are just names.
    for (const bad of ["a%0Ab", "x".repeat(257)]) expect((await json("GET", `/api/sessions/${bad}`, undefined, 400)).error.code).toBe("invalid_session_id");
    for (const malformed of ["%ZZ", "%E0%A4%A"]) expect((await call("GET", `/api/sessions/${malformed}`)).status).toBe(400);
    expect((await json("POST", "/api/sessions", { id: "tab\there" }, 400)).error).toMatchObject({ code: "invalid_session_id", param: "id" });
    // An id that could not be echoed in X-Hermes-Session-Id is refused on create and fork, and nothing is written.
    for (const id of ["💥", "sess-\ud800"]) {
      expect((await json("POST", "/api/sessions", { id }, 400)).error).toMatchObject({ code: "invalid_session_id", param: "id" });
      expect((await call("GET", `/api/sessions/${encodeURIComponent("💥")}`)).status).toBe(400);
    }
    await json("POST", "/api/sessions", { id: "fork-source" }, 201);
    expect((await json("POST", "/api/sessions/fork-source/fork", { id: "💥" }, 400)).error.code).toBe("invalid_session_id");
    expect(await session("fork-source")).not.toHaveProperty("end_reason");
    await json("POST", "/api/sessions", { id: "../sessions:x" }, 201);
    expect(await session("../sessions:x")).toMatchObject({ id: "../sessions:x" });

    expect((await json("POST", "/api/sessions/../sessions:x/chat".replace("../sessions:x", encodeURIComponent("../sessions:x")), {}, 400)).error).toMatchObject(
      {
        code: "missing_message",
        param: "message",
      },
    );
    for (const query of ["limit=0", "limit=201", "offset=-1", "after=bogus"])
      expect((await json("GET", `/api/sessions?${query}`, undefined, 400)).error.code).toBe("invalid_pagination");
    expect(
      (await json("GET", "/api/sessions/../sessions:x/messages?limit=501".replace("../sessions:x", encodeURIComponent("../sessions:x")), undefined, 400)).error
        .code,
    ).toBe("invalid_pagination");
    expect((await call("PUT", "/api/sessions/x")).status).toBe(405);
    expect((await call("GET", "/api/sessions", undefined, "wrong-key-0123456789abcdef")).status).toBe(401);
  });

  it("pages the listing by offset and by cursor, most recently active first", async () => {
    for (const id of ["page-a", "page-b", "page-c"]) await json("POST", "/api/sessions", { id }, 201);
    const all = (await json("GET", "/api/sessions?limit=200")).data.map((entry: Json) => entry.id) as string[];
    expect(all.indexOf("page-c")).toBeLessThan(all.indexOf("page-b"));
    const first = await json("GET", "/api/sessions?limit=2");
    expect(first).toMatchObject({ limit: 2, offset: 0, has_more: true, next_cursor: expect.any(String) });
    const second = await json("GET", `/api/sessions?limit=2&after=${first.next_cursor}`);
    const third = await json("GET", "/api/sessions?limit=2&offset=2");
    expect(second.data.map((entry: Json) => entry.id)).toEqual(all.slice(2, 4));
    expect(third.data.map((entry: Json) => entry.id)).toEqual(all.slice(2, 4));
  });

  it("advertises the Sessions API in /v1/capabilities", async () => {
    const capabilities = await json("GET", "/v1/capabilities");
    expect(capabilities.features).toMatchObject({ session_resources: true, session_chat: true, session_chat_streaming: true, session_fork: true });
    expect(capabilities.endpoints).toMatchObject({
      sessions: { method: "GET", path: "/api/sessions" },
      session_chat_stream: { method: "POST", path: "/api/sessions/{id}/chat/stream" },
    });
  });
});

describe("the Sessions API without a configured key", () => {
  it("answers 403 api_key_required", async () => {
    const proxy = await startProxy({});
    try {
      const response = await fetch(`${proxy.url}/api/sessions`);
      expect(response.status).toBe(403);
      expect(((await response.json()) as Json).error).toMatchObject({ code: "api_key_required", type: "permission_error" });
    } finally {
      await proxy.close();
    }
  });
});
