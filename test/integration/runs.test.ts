import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { definePlugin, defineTool } from "../../sdk/index.ts";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { startProxy, type TestProxy } from "../helpers/proxy.ts";
import { parseSse, readSse, type SseFrame } from "../helpers/sse.ts";

const KEY = "runs-test-key-0123456789abcdef";

type Payload = { event: string; run_id: string; timestamp: number } & Record<string, unknown>;

describe("the Runs API", () => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;
  let releaseSlow: () => void = () => {};

  const clock = defineTool({
    name: "clock",
    description: "The time",
    parameters: z.object({ zone: z.string() }),
    emoji: "🕐",
    label: ({ zone }) => `Time in ${zone}`,
    execute: ({ zone }) => `12:00 in ${zone}`,
  });
  const wait = defineTool({
    name: "wait",
    description: "Waits until the test releases it",
    execute: (_args, { signal }) =>
      new Promise((resolve, reject) => {
        releaseSlow = () => resolve("released");
        signal.addEventListener("abort", () => reject(signal.reason));
      }),
  });
  const remove = defineTool({
    name: "remove_file",
    description: "Deletes a file",
    parameters: z.object({ path: z.string() }),
    label: ({ path }) => `Delete ${path}`,
    needsApproval: true,
    execute: ({ path }) => `deleted ${path}`,
  });

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    proxy = await startProxy({
      server: { apiKey: KEY, keepaliveMs: 50 },
      upstream: { baseURL: upstream.url, model: "fake-model", maxRetries: 0 },
      agent: { maxConcurrentRuns: 3 },
      plugins: [definePlugin({ name: "test-tools", tools: [clock, wait, remove] })],
    });
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  const headers = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${KEY}`, "content-type": "application/json", ...extra });
  const post = (path: string, body: unknown, extra: Record<string, string> = {}) =>
    fetch(`${proxy.url}${path}`, { method: "POST", headers: headers(extra), body: JSON.stringify(body) });
  const get = (path: string, extra: Record<string, string> = {}) => fetch(`${proxy.url}${path}`, { headers: headers(extra) });
  const startRun = async (body: unknown, extra: Record<string, string> = {}) => {
    const response = await post("/v1/runs", body, extra);
    expect(response.status).toBe(202);
    return ((await response.json()) as { run_id: string }).run_id;
  };
  const payloads = (text: string) => parseSse(text).map((frame) => JSON.parse(frame.data) as Payload);
  const allEvents = async (runId: string, extra: Record<string, string> = {}) => (await get(`/v1/runs/${runId}/events`, extra)).text();

  /** Reads frames until `until` says stop; the connection is then dropped. */
  async function readUntil(runId: string, until: (payload: Payload) => boolean, extra: Record<string, string> = {}): Promise<SseFrame[]> {
    const controller = new AbortController();
    const response = await fetch(`${proxy.url}/v1/runs/${runId}/events`, { headers: headers(extra), signal: controller.signal });
    const frames: SseFrame[] = [];
    for await (const frame of readSse(response)) {
      frames.push(frame);
      if (until(JSON.parse(frame.data) as Payload)) break;
    }
    controller.abort();
    return frames;
  }

  it("starts a run with 202, streams it with ids, and reports it done", async () => {
    upstream.enqueue({ text: "Hello from the run", usage: { inputTokens: 7, outputTokens: 4 } });
    const response = await post("/v1/runs", { input: "Say hello", instructions: "Be brief.", session_id: "sess-1" });
    expect(response.status).toBe(202);
    const started = (await response.json()) as { run_id: string; status: string };
    expect(started).toEqual({ run_id: expect.stringMatching(/^run_[0-9a-f]{32}$/), status: "started" });
    expect(response.headers.get("location")).toBe(`/v1/runs/${started.run_id}`);

    const text = await allEvents(started.run_id);
    expect(text.endsWith(": stream closed\n\n")).toBe(true);
    const frames = parseSse(text);
    expect(frames.map((frame) => frame.id)).toEqual(frames.map((_, index) => String(index + 1)));
    expect(frames.every((frame) => frame.event === undefined)).toBe(true);
    const events = payloads(text);
    expect(events.map((event) => event.event)).toEqual(["message.delta", "message.delta", "message.delta", "message.delta", "run.completed"]);
    expect(events.every((event) => event.run_id === started.run_id && typeof event.timestamp === "number")).toBe(true);
    expect(events.at(-1)).toMatchObject({ output: "Hello from the run", usage: { input_tokens: 7, output_tokens: 4, total_tokens: 11 } });
    expect(upstream.requests[0]?.body.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Say hello" },
    ]);

    const status = (await (await get(`/v1/runs/${started.run_id}`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({
      object: "hermes.run",
      run_id: started.run_id,
      status: "completed",
      session_id: "sess-1",
      model: "hermes-agent",
      last_event: "run.completed",
      output: "Hello from the run",
      usage: { input_tokens: 7, output_tokens: 4, total_tokens: 11 },
      error: null,
    });
    expect(status.updated_at).toBeGreaterThanOrEqual(status.created_at as number);
  });

  it("reports server tool activity as tool.started and tool.completed, and feeds the result back upstream", async () => {
    upstream.enqueue({ toolCalls: [{ id: "call_clock", name: "clock", arguments: { zone: "Europe/Paris" } }] }, { text: "It is noon." });
    const runId = await startRun({ input: "What time is it in Paris?" });
    const events = payloads(await allEvents(runId));
    expect(events.map((event) => event.event)).toEqual(["tool.started", "tool.completed", "message.delta", "message.delta", "message.delta", "run.completed"]);
    expect(events[0]).toMatchObject({ tool: "clock", preview: "Time in Europe/Paris", tool_call_id: "call_clock", emoji: "🕐" });
    expect(events[1]).toMatchObject({ tool: "clock", error: false, duration: expect.any(Number) });
    expect(events.at(-1)).toMatchObject({ output: "It is noon." });
    expect(upstream.requests[1]?.body.messages.at(-1)).toEqual({ role: "tool", tool_call_id: "call_clock", content: "12:00 in Europe/Paris" });
  });

  it("gives two subscribers every event, replays after Last-Event-ID, and serves late subscribers", async () => {
    upstream.enqueue({ text: "one two three four five six", delayMs: 30 });
    const runId = await startRun({ input: "count" });
    // Compared frame by frame: keepalive comments fall wherever each stream happened to idle.
    const [first, second] = (await Promise.all([allEvents(runId), allEvents(runId)])).map(parseSse);
    expect(first?.map((frame) => JSON.parse(frame.data).event)).toHaveLength(7);
    expect(second).toEqual(first);

    const late = parseSse(await allEvents(runId));
    expect(late).toEqual(first);
    const resumed = parseSse(await allEvents(runId, { "last-event-id": "4" }));
    expect(resumed).toEqual(first?.slice(4));
  });

  it("resumes a live run after a reconnect with Last-Event-ID, and a dropped subscriber stops nothing", async () => {
    upstream.enqueue({ text: "alpha beta gamma delta epsilon", delayMs: 60 });
    const runId = await startRun({ input: "greek" });
    const before = await readUntil(runId, (payload) => payload.event === "message.delta" && payload.delta === " beta");
    expect(before.map((frame) => frame.id)).toEqual(["1", "2"]);
    const rest = await allEvents(runId, { "last-event-id": "2" });
    const after = payloads(rest);
    expect(after.map((event) => event.delta ?? event.event)).toEqual([" gamma", " delta", " epsilon", "run.completed"]);
    expect(after.at(-1)?.output).toBe("alpha beta gamma delta epsilon");
  });

  it("stops a run: 200 stopping at once, the upstream call aborted, then run.cancelled", async () => {
    upstream.enqueue({ hang: true });
    const runId = await startRun({ input: "hang" });
    await expect.poll(() => upstream.requests.length).toBe(1);
    const stopped = await post(`/v1/runs/${runId}/stop`, {});
    expect(stopped.status).toBe(200);
    expect(await stopped.json()).toEqual({ run_id: runId, status: "stopping" });
    await upstream.waitForAbort();
    const events = payloads(await allEvents(runId));
    expect(events.at(-1)?.event).toBe("run.cancelled");
    const status = (await (await get(`/v1/runs/${runId}`)).json()) as { status: string };
    expect(status.status).toBe("cancelled");
    const again = await post(`/v1/runs/${runId}/cancel`, {});
    expect(await again.json()).toEqual({ run_id: runId, status: "cancelled" });
  });

  it("keeps the answer streamed before a stop in the status object", async () => {
    upstream.enqueue({ text: "one two three four", stallAfter: 3 });
    const runId = await startRun({ input: "count" });
    await readUntil(runId, (payload) => payload.event === "message.delta" && payload.delta === " two");
    await post(`/v1/runs/${runId}/stop`, {});
    const events = payloads(await allEvents(runId));
    expect(events.at(-1)?.event).toBe("run.cancelled");
    const status = (await (await get(`/v1/runs/${runId}`)).json()) as { status: string; output: string | null };
    expect(status).toMatchObject({ status: "cancelled", output: "one two" });
  });

  it("stops a running tool through its signal", async () => {
    upstream.enqueue({ toolCalls: [{ id: "call_wait", name: "wait", arguments: {} }] });
    const runId = await startRun({ input: "wait" });
    await readUntil(runId, (payload) => payload.event === "tool.started");
    await post(`/v1/runs/${runId}/stop`, {});
    const events = payloads(await allEvents(runId));
    expect(events.map((event) => event.event)).toEqual(["tool.started", "run.cancelled"]);
    expect(upstream.requests).toHaveLength(1);
  });

  it("asks for approval, waits, and resumes on POST /approval", async () => {
    upstream.enqueue({ toolCalls: [{ id: "call_rm", name: "remove_file", arguments: { path: "/tmp/a" } }] }, { text: "Done." });
    const runId = await startRun({ input: "delete /tmp/a" });
    const asked = await readUntil(runId, (payload) => payload.event === "approval.request");
    expect(JSON.parse(asked.at(-1)!.data)).toMatchObject({
      event: "approval.request",
      tool: "remove_file",
      arguments: '{"path":"/tmp/a"}',
      description: "Delete /tmp/a",
      choices: ["once", "deny"],
      request_id: "call_rm",
    });
    const waiting = (await (await get(`/v1/runs/${runId}`)).json()) as { status: string; approval: { tool: string } };
    expect(waiting.status).toBe("waiting_for_approval");
    expect(waiting.approval.tool).toBe("remove_file");

    const bad = await post(`/v1/runs/${runId}/approval`, { choice: "always" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("invalid_approval_choice");

    const answered = await post(`/v1/runs/${runId}/approval`, { choice: "approve" });
    expect(answered.status).toBe(200);
    expect(await answered.json()).toEqual({ object: "hermes.run.approval_response", run_id: runId, choice: "once", resolved: 1 });
    const events = payloads(await allEvents(runId));
    expect(events.map((event) => event.event)).toEqual([
      "approval.request",
      "approval.responded",
      "tool.started",
      "tool.completed",
      "message.delta",
      "run.completed",
    ]);
    expect(upstream.requests[1]?.body.messages.at(-1)).toEqual({ role: "tool", tool_call_id: "call_rm", content: "deleted /tmp/a" });

    const late = await post(`/v1/runs/${runId}/approval`, { choice: "once" });
    expect(late.status).toBe(409);
    expect(((await late.json()) as { error: { code: string } }).error.code).toBe("approval_not_active");
  });

  it("sends a denial to the model as the call's output, and 409s when nothing is pending", async () => {
    upstream.enqueue({ toolCalls: [{ id: "call_rm2", name: "remove_file", arguments: { path: "/etc" } }] }, { hang: true });
    const runId = await startRun({ input: "delete /etc" });
    await readUntil(runId, (payload) => payload.event === "approval.request");
    expect((await post(`/v1/runs/${runId}/approval`, { choice: "DENY" })).status).toBe(200);
    await expect.poll(() => upstream.requests.length).toBe(2);
    expect(upstream.requests[1]?.body.messages.at(-1)).toEqual({
      role: "tool",
      tool_call_id: "call_rm2",
      content: "remove_file was not run: the user denied approval.",
    });
    const pending = await post(`/v1/runs/${runId}/approval`, { choice: "once" });
    expect(pending.status).toBe(409);
    expect(((await pending.json()) as { error: { code: string } }).error.code).toBe("approval_not_pending");
    await post(`/v1/runs/${runId}/stop`, {});
  });

  it("keeps a run going when its only subscriber disconnects", async () => {
    upstream.enqueue({ text: "still running after you left", delayMs: 20 });
    const runId = await startRun({ input: "detached" });
    await readUntil(runId, () => true);
    await expect.poll(async () => ((await (await get(`/v1/runs/${runId}`)).json()) as { status: string }).status).toBe("completed");
  });

  it("sends keepalive comments while a run is idle", async () => {
    upstream.enqueue({ toolCalls: [{ id: "call_wait2", name: "wait", arguments: {} }] }, { text: "ok" });
    const runId = await startRun({ input: "idle" });
    await readUntil(runId, (payload) => payload.event === "tool.started");
    const response = await get(`/v1/runs/${runId}/events`, { "last-event-id": "1" });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    while (!text.includes(": keepalive")) text += new TextDecoder().decode((await reader.read()).value);
    releaseSlow();
    while (!text.includes(": stream closed")) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    expect(payloads(text).map((event) => event.event)).toEqual(["tool.completed", "message.delta", "run.completed"]);
  });

  it("answers 429 rate_limit_exceeded with Retry-After over maxConcurrentRuns", async () => {
    upstream.script(() => ({ hang: true }));
    const running = [await startRun({ input: "1" }), await startRun({ input: "2" }), await startRun({ input: "3" })];
    const refused = await post("/v1/runs", { input: "4" });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await refused.json()).toEqual({
      error: { message: "Too many concurrent runs (max 3)", type: "rate_limit_error", param: null, code: "rate_limit_exceeded" },
    });
    for (const runId of running) await post(`/v1/runs/${runId}/stop`, {});
    for (const runId of running) await allEvents(runId);
    upstream.script(undefined);
    upstream.enqueue({ text: "room again" });
    const runId = await startRun({ input: "5" });
    expect(payloads(await allEvents(runId)).at(-1)?.output).toBe("room again");
  });

  it("replays a run for a repeated Idempotency-Key, and 409s when the body changes", async () => {
    upstream.enqueue({ text: "once" });
    const body = { input: "only once" };
    const first = await post("/v1/runs", body, { "idempotency-key": "run-key-1" });
    const second = await post("/v1/runs", body, { "idempotency-key": "run-key-1" });
    const firstBody = (await first.json()) as { run_id: string };
    expect(second.status).toBe(202);
    expect(second.headers.get("idempotency-replayed")).toBe("true");
    expect(((await second.json()) as { run_id: string }).run_id).toBe(firstBody.run_id);
    await allEvents(firstBody.run_id);
    expect(upstream.requests).toHaveLength(1);
    const conflict = await post("/v1/runs", { input: "something else" }, { "idempotency-key": "run-key-1" });
    expect(conflict.status).toBe(409);
  });

  it("takes history from conversation_history and from input items, and client tools come back on run.completed", async () => {
    upstream.enqueue({ toolCalls: [{ id: "call_client", name: "get_weather", arguments: { city: "Rome" } }] });
    const runId = await startRun({
      conversation_history: [
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello!" },
      ],
      input: [{ role: "user", content: [{ type: "input_text", text: "Weather in Rome?" }] }],
      tools: [{ type: "function", name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } }],
    });
    const events = payloads(await allEvents(runId));
    expect(events.at(-1)).toMatchObject({
      event: "run.completed",
      status: "requires_action",
      tool_calls: [{ id: "call_client", name: "get_weather", arguments: '{"city":"Rome"}' }],
    });
    // The status object tells the same: waiting on the client's tool, which call, not `completed`.
    const status = (await (await get(`/v1/runs/${runId}`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({
      status: "requires_action",
      last_event: "run.completed",
      tool_calls: [{ id: "call_client", name: "get_weather", arguments: '{"city":"Rome"}' }],
      error: null,
      error_code: null,
    });
    const sent = upstream.requests[0]?.body;
    expect(sent.messages).toEqual([
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello!" },
      { role: "user", content: "Weather in Rome?" },
    ]);
    expect(sent.tools.map((tool: { function: { name: string } }) => tool.function.name)).toEqual(["clock", "wait", "remove_file", "get_weather"]);
  });

  it("continues a stored response by previous_response_id, and ignores an unknown one", async () => {
    upstream.enqueue({ text: "Nice to meet you, Ann." }, { text: "Your name is Ann." }, { text: "Who?" });
    const stored = await post("/v1/responses", { model: "hermes-agent", input: "My name is Ann." });
    expect(stored.status).toBe(200);
    const { id } = (await stored.json()) as { id: string };
    const runId = await startRun({ input: "What is my name?", previous_response_id: id });
    expect(payloads(await allEvents(runId)).at(-1)?.output).toBe("Your name is Ann.");
    expect(upstream.requests[1]?.body.messages).toEqual([
      { role: "user", content: "My name is Ann." },
      { role: "assistant", content: "Nice to meet you, Ann." },
      { role: "user", content: "What is my name?" },
    ]);
    const unknown = await startRun({ input: "And now?", previous_response_id: "resp_unknown" });
    expect(payloads(await allEvents(unknown)).at(-1)?.output).toBe("Who?");
    expect(upstream.requests[2]?.body.messages).toEqual([{ role: "user", content: "And now?" }]);
  });

  it("answers 400 for a bad body, 404 run_not_found for unknown runs", async () => {
    for (const body of [{}, { input: "" }, { input: 5 }, { input: "x", tools: [{ type: "function", name: "clock" }] }]) {
      const response = await post("/v1/runs", body);
      expect(response.status).toBe(400);
    }
    for (const [method, path] of [
      ["GET", "/v1/runs/run_missing"],
      ["GET", "/v1/runs/run_missing/events"],
      ["POST", "/v1/runs/run_missing/stop"],
      ["POST", "/v1/runs/run_missing/approval"],
    ] as const) {
      const response = await fetch(`${proxy.url}${path}`, { method, headers: headers(), ...(method === "POST" && { body: '{"choice":"once"}' }) });
      expect(response.status).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("run_not_found");
    }
    const badId = await get("/v1/runs/run_missing/events", { "last-event-id": "abc" });
    expect(badId.status).toBe(400);
  });

  it("lists the loaded tools and the runs endpoints in GET /v1/capabilities", async () => {
    const capabilities = (await (await get("/v1/capabilities")).json()) as Record<string, any>;
    expect(capabilities.object).toBe("hermes.api_server.capabilities");
    expect(capabilities.auth).toEqual({ type: "bearer", required: true });
    expect(capabilities.features).toMatchObject({
      run_submission: true,
      run_events_sse: true,
      run_stop: true,
      run_approval_response: true,
      server_tools: true,
    });
    expect(capabilities.endpoints.run_events).toEqual({ method: "GET", path: "/v1/runs/{id}/events" });
    expect(capabilities.tools.map((tool: { name: string }) => tool.name)).toEqual(["clock", "wait", "remove_file"]);
    expect(capabilities.tools[2]).toMatchObject({ plugin: "test-tools", needs_approval: true });
    expect((await fetch(`${proxy.url}/v1/capabilities`)).status).toBe(401);
  });
});

describe("Runs on fs storage and a second proxy", () => {
  it("refuses a second proxy on the directory: a run is followed from another process only on Redis", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hermes-runs-"));
    const upstream = await startFakeUpstream();
    const config = { storage: `fs:${dir}`, upstream: { baseURL: upstream.url, model: "fake-model", maxRetries: 0 } };
    const first = await startProxy(config);
    try {
      // Two processes on one directory would each keep their own claims, run limit and eviction
      // (test/integration/faults/single-process-lock.test.ts); the Redis version of this test is in
      // multi-instance.test.ts.
      await expect(startProxy(config)).rejects.toThrow(/is in use by another hermes-proxy process/);
      const response = await fetch(`${first.url}/v1/runs`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"input":"x"}' });
      expect(response.status).toBe(202);
    } finally {
      await first.close();
      await upstream.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("Runs at shutdown", () => {
  it("ends a live run as failed with server_shutting_down, and its followers get that event", async () => {
    const upstream = await startFakeUpstream();
    const proxy = await startProxy({ server: { shutdownTimeoutMs: 100 }, upstream: { baseURL: upstream.url, model: "fake-model", maxRetries: 0 } });
    try {
      upstream.enqueue({ hang: true });
      const response = await fetch(`${proxy.url}/v1/runs`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"input":"x"}' });
      const { run_id } = (await response.json()) as { run_id: string };
      await expect.poll(() => upstream.requests.length).toBe(1);
      const follower = fetch(`${proxy.url}/v1/runs/${run_id}/events`).then((events) => events.text());
      await new Promise((resolve) => setTimeout(resolve, 20));
      await proxy.hermes.close();
      const last = parseSse(await follower).at(-1);
      expect(JSON.parse(last!.data)).toMatchObject({ event: "run.failed", code: "server_shutting_down" });
    } finally {
      await proxy.close();
      await upstream.close();
    }
  });
});

describe("Runs retention", () => {
  it("forgets a finished run after runRetentionMs", async () => {
    const proxy = await startProxy({ agent: { runRetentionMs: 100 } });
    try {
      const response = await fetch(`${proxy.url}/v1/runs`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"input":"hi"}' });
      const { run_id } = (await response.json()) as { run_id: string };
      expect(parseSse(await (await fetch(`${proxy.url}/v1/runs/${run_id}/events`)).text()).length).toBeGreaterThan(1);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect((await fetch(`${proxy.url}/v1/runs/${run_id}`)).status).toBe(404);
    } finally {
      await proxy.close();
    }
  });
});
