import { setTimeout as delay } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { captureLogs, type CapturedLogs } from "../../../src/utils/logger.ts";
import { type FakeUpstream, startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { type FlakyStorage, flakyStorage } from "../../helpers/flaky-storage.ts";
import { startProxy, type TestProxy } from "../../helpers/proxy.ts";
import { readSse, type SseFrame } from "../../helpers/sse.ts";

/**
 * What a client sees when the storage fails, and what the storage holds afterwards, on an in-memory
 * storage that a test switches off and on (`flakyStorage`): deterministic, no Redis needed. The same
 * guarantees over a real Redis that is stopped and restarted are in `storage-outage.test.ts`.
 *
 * - Nothing acknowledged is lost: a `store: true` response, a conversation turn, an idempotency record,
 *   a run's start and its completion are stored before the client is told, or the client gets 503
 *   `storage_unavailable` with `Retry-After` (a stream: `response.failed` / `run.failed`).
 * - What was not acknowledged does not linger as if it had been: a response that may have been stored
 *   in part is settled as `failed` once the storage is back; a claimed conversation or key is let go.
 * - `store: false` and stateless Chat Completions go on answering through the outage.
 * - Fail fast: the 503 comes within a second; the readiness probe says `not_ready` meanwhile.
 */

const KEY = "storage-failures-key-0123456789abcdef";
const words = "alpha beta gamma delta epsilon zeta eta theta";

describe("storage failures: what the client sees and what is stored", () => {
  let upstream: FakeUpstream;
  let flaky: FlakyStorage;
  let proxy: TestProxy;
  let logs: CapturedLogs;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  const headers = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${KEY}`, "content-type": "application/json", ...extra });
  const post = (path: string, body: unknown, extra: Record<string, string> = {}) =>
    fetch(`${proxy.url}${path}`, { method: "POST", headers: headers(extra), body: JSON.stringify(body) });
  const get = (path: string) => fetch(`${proxy.url}${path}`, { headers: headers() });
  const timed = async <T>(work: () => Promise<T>) => {
    const started = performance.now();
    const value = await work();
    return { value, ms: performance.now() - started };
  };
  async function expect503(response: Response, code = "storage_unavailable") {
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("1");
    const body = (await response.json()) as { error: { code: string; type: string } };
    expect(body.error).toMatchObject({ code, type: "server_error" });
  }
  /** Every stored response record, as the storage holds it. */
  async function storedResponses() {
    const records = [];
    for (const key of await flaky.contents.getKeys("responses:"))
      records.push((await flaky.contents.getItem(key)) as { response: { id: string; status: string; error?: { code: string } } });
    return records;
  }
  async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 4_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (accept(value) || Date.now() > deadline) return value;
      await delay(50);
    }
  }
  /** Reads an SSE response to its end: the frames, and the JSON of their data. */
  async function frames(response: Response, onFrame?: (frame: SseFrame) => void) {
    const all: SseFrame[] = [];
    for await (const frame of readSse(response)) {
      all.push(frame);
      onFrame?.(frame);
    }
    return all;
  }
  const json = (frame: SseFrame) => JSON.parse(frame.data) as Record<string, any>;

  beforeAll(async () => {
    process.on("unhandledRejection", onUnhandled);
    upstream = await startFakeUpstream();
  });
  beforeEach(async () => {
    logs = captureLogs();
    flaky = flakyStorage();
    // A short run lease: a run whose writes keep failing gives up after it (see the runs test below).
    proxy = await startProxy({
      server: { apiKey: KEY },
      upstream: { baseURL: upstream.url, model: "fake-model" },
      agent: { runLeaseMs: 1_500 },
      plugins: [flaky.storage],
    });
  });
  afterEach(async () => {
    flaky.down = false;
    await proxy.close();
    upstream.reset();
    logs.restore();
    expect(unhandled).toEqual([]);
  });
  afterAll(async () => {
    process.off("unhandledRejection", onUnhandled);
    await upstream.close();
  });

  it("a store:true response answers 503 storage_unavailable with Retry-After within a second, and is stored as failed once the storage is back", async () => {
    upstream.script(() => {
      // The turn is under way (nothing stored yet): the storage goes now.
      flaky.down = true;
      return { text: words };
    });
    const first = await timed(() => post("/v1/responses", { model: "m", input: "one" }));
    await expect503(first.value);
    expect(first.ms).toBeLessThan(1_000);

    // Known down: the next turn to be stored is refused before the model is called.
    const second = await timed(() => post("/v1/responses", { model: "m", input: "two" }));
    await expect503(second.value);
    expect(second.ms).toBeLessThan(1_000);
    const stream = await post("/v1/responses", { model: "m", input: "three", stream: true });
    await expect503(stream);
    expect(upstream.requests).toHaveLength(1);
    expect(logs.lines().some((line) => line.includes("storage is unavailable: connect ECONNREFUSED"))).toBe(true);

    flaky.down = false;
    // What storage holds: the one response that ran, settled as failed (never `completed`), once back.
    const stored = await eventually(storedResponses, (records) => records[0]?.response.status === "failed");
    expect(stored).toHaveLength(1);
    expect(stored[0]!.response).toMatchObject({ status: "failed", error: { code: "storage_unavailable" } });
    // And the proxy recovers by itself: the next turn is stored.
    upstream.script(undefined);
    const after = await post("/v1/responses", { model: "m", input: "four" });
    expect(after.status).toBe(200);
    const { id } = (await after.json()) as { id: string };
    expect(((await (await get(`/v1/responses/${id}`)).json()) as { status: string }).status).toBe("completed");
  });

  it("a store:true stream whose response cannot be stored ends in response.failed, never response.completed, and reads back as failed", async () => {
    upstream.enqueue({ text: words, delayMs: 40 });
    const response = await post("/v1/responses", { model: "m", input: "go", stream: true });
    expect(response.status).toBe(200);
    const seen = await frames(response, (frame) => {
      // The first words are out: the storage goes before the run ends.
      if (frame.event === "response.output_text.delta") flaky.down = true;
    });
    const names = seen.map((frame) => frame.event);
    expect(names).toContain("response.output_text.delta");
    expect(names).not.toContain("response.completed");
    const last = json(seen.at(-1)!);
    expect(seen.at(-1)!.event).toBe("response.failed");
    expect(last.response).toMatchObject({ status: "failed", error: { code: "storage_unavailable" } });
    const id = last.response.id as string;

    flaky.down = false;
    const stored = await eventually(storedResponses, (records) => records.some((record) => record.response.id === id && record.response.status === "failed"));
    expect(stored.find((record) => record.response.id === id)!.response).toMatchObject({ status: "failed", error: { code: "storage_unavailable" } });
    const read = (await (await get(`/v1/responses/${id}`)).json()) as { status: string; error: { code: string } };
    expect(read).toMatchObject({ status: "failed", error: { code: "storage_unavailable" } });
  });

  it("a blip shorter than the retry bound is absorbed: the response is answered and stored", async () => {
    upstream.script(() => {
      flaky.down = true;
      setTimeout(() => (flaky.down = false), 60);
      return { text: words };
    });
    const response = await post("/v1/responses", { model: "m", input: "blip" });
    expect(response.status).toBe(200);
    const { id } = (await response.json()) as { id: string };
    expect(flaky.failedCalls).toBeGreaterThan(0);
    expect(((await flaky.contents.getItem(`responses:${id}`)) as { response: { status: string } }).response.status).toBe("completed");
  });

  it("store:false and stateless Chat Completions keep answering through the outage; a chat session record that cannot be written is logged", async () => {
    flaky.down = true;
    const responses = await post("/v1/responses", { model: "m", input: "not kept", store: false });
    expect(responses.status).toBe(200);
    expect(((await responses.json()) as { output_text?: string; status: string }).status).toBe("completed");
    const responsesStream = await post("/v1/responses", { model: "m", input: "not kept", store: false, stream: true });
    expect((await frames(responsesStream)).at(-1)!.event).toBe("response.completed");

    const chat = await post("/v1/chat/completions", { model: "m", messages: [{ role: "user", content: "hello there" }] });
    expect(chat.status).toBe(200);
    expect(((await chat.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe("hello there");
    const chatStream = await post("/v1/chat/completions", { model: "m", stream: true, messages: [{ role: "user", content: "streamed hello" }] });
    const chunks = await frames(chatStream);
    expect(chunks.at(-1)!.data).toBe("[DONE]");
    expect(chunks.map((frame) => (frame.data === "[DONE]" ? "" : (json(frame).choices[0]?.delta?.content ?? ""))).join("")).toBe("streamed hello");

    // The answers went out; their session records did not land, and say so in the log.
    await eventually(
      async () => logs.lines().filter((line) => line.includes("saving session failed")).length,
      (count) => count >= 2,
    );
    flaky.down = false;
    expect(await flaky.contents.getKeys("sessions:")).toEqual([]);
    expect(await flaky.contents.getKeys("responses:")).toEqual([]);
  });

  it("a conversation turn the storage cannot take is not added: 503, the name is let go once the storage is back, and the next turn does not see it", async () => {
    upstream.enqueue({ text: "first answer" });
    expect((await post("/v1/responses", { model: "m", input: "first", conversation: "talk" })).status).toBe(200);

    // Down at the claim: refused before the model is called.
    flaky.down = true;
    const refused = await timed(() => post("/v1/responses", { model: "m", input: "refused", conversation: "talk" }));
    await expect503(refused.value);
    expect(refused.ms).toBeLessThan(1_000);
    expect(upstream.requests).toHaveLength(1);
    flaky.down = false;

    // Down after the claim, while the model answers: the turn is not acknowledged.
    upstream.script(() => {
      flaky.down = true;
      return { text: "lost answer" };
    });
    await expect503(await post("/v1/responses", { model: "m", input: "lost", conversation: "talk" }));
    flaky.down = false;
    upstream.script(undefined);

    // Once back, the name is free again (not held until its lease lapses) and still at the first turn.
    upstream.enqueue({ text: "third answer" });
    const third = await eventually(
      () => post("/v1/responses", { model: "m", input: "third", conversation: "talk" }),
      (response) => response.status === 200,
    );
    expect(third.status).toBe(200);
    expect(upstream.requests.at(-1)!.body.messages.map((message: { content: string }) => message.content)).toEqual(["first", "first answer", "third"]);
    const statuses = (await storedResponses()).map((record) => record.response.status).sort();
    expect(statuses).toEqual(["completed", "completed", "failed"]);
  });

  it("an Idempotency-Key is never answered without its record: 503 while down, computed once the storage is back, then replayed", async () => {
    const body = { model: "m", messages: [{ role: "user", content: "once" }] };
    const key = { "idempotency-key": "outage-key-1" };
    upstream.script(() => {
      flaky.down = true;
      return { text: "computed" };
    });
    // The answer was computed, but its record could not be stored: the client is not given it.
    await expect503(await post("/v1/chat/completions", body, key));
    flaky.down = false;
    upstream.script(undefined);

    upstream.enqueue({ text: "computed again" });
    const computed = await eventually(
      () => post("/v1/chat/completions", body, key),
      (response) => response.status === 200,
    );
    expect(computed.status).toBe(200);
    expect(computed.headers.get("idempotency-replayed")).toBeNull();
    const first = (await computed.json()) as { id: string };
    const replayed = await post("/v1/chat/completions", body, key);
    expect(replayed.headers.get("idempotency-replayed")).toBe("true");
    expect(((await replayed.json()) as { id: string }).id).toBe(first.id);
    // Stored: exactly one record, the reply that was given.
    const records = await flaky.contents.getKeys("idempotency:");
    expect(records).toHaveLength(1);
    expect(((await flaky.contents.getItem(records[0]!)) as { state: string; reply: { body: { id: string } } }).reply.body.id).toBe(first.id);
  });

  it("a run is not started, nor reported completed, without storage: 503 at start; run.failed storage_unavailable when its end cannot be stored", async () => {
    flaky.down = true;
    await expect503(await post("/v1/runs", { input: "never started" }));
    flaky.down = false;

    upstream.script(() => {
      flaky.down = true;
      return { text: words };
    });
    const started = await post("/v1/runs", { input: "cut off" });
    expect(started.status).toBe(202);
    const { run_id: runId } = (await started.json()) as { run_id: string };
    // A follower is handed only what is stored: while the storage is down it waits. The run keeps its
    // events in memory and gives up once its writes have failed for a run lease (1.5 s here).
    const following = get(`/v1/runs/${runId}/events`).then(frames);
    await delay(2_500);
    flaky.down = false;
    upstream.script(undefined);
    const events = (await following).map(json);
    const names = events.map((event) => event.event);
    expect(names).not.toContain("run.completed");
    expect(events.at(-1)).toMatchObject({ event: "run.failed", code: "storage_unavailable" });

    // What storage holds, once back: the run's end as the client saw it, never `completed`.
    const stored = await eventually(
      async () => (await flaky.contents.getItem(`runs:${runId}`)) as { status: string; error: { code: string } | null },
      (record) => record.status === "failed",
    );
    expect(stored).toMatchObject({ status: "failed", error: { code: "storage_unavailable" } });
    expect(((await (await get(`/v1/runs/${runId}`)).json()) as { status: string }).status).toBe("failed");
  });

  it("session chat answers 503 when its turn cannot be recorded, and the session does not get it", async () => {
    const created = await post("/api/sessions", { id: "outage-session" });
    expect(created.status).toBe(201);
    upstream.script(() => {
      flaky.down = true;
      return { text: "unrecorded" };
    });
    await expect503(await post("/api/sessions/outage-session/chat", { message: "hello" }));
    flaky.down = false;
    upstream.script(undefined);
    const messages = (await (await get("/api/sessions/outage-session/messages")).json()) as { data?: unknown[]; messages?: unknown[] };
    expect(messages.data ?? messages.messages).toEqual([]);
  });

  it("the readiness probe says not_ready (503) while the storage is down and ready again once it is back; /health stays 200", async () => {
    const ready = await fetch(`${proxy.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready", storage: { driver: "flaky", status: "ok" } });

    flaky.down = true;
    const probe = await timed(() => fetch(`${proxy.url}/health/ready`));
    expect(probe.value.status).toBe(503);
    expect(probe.value.headers.get("retry-after")).toBe("1");
    expect(probe.ms).toBeLessThan(1_000);
    const body = (await probe.value.json()) as { status: string; storage: { status: string; error?: string } };
    expect(body).toMatchObject({ status: "not_ready", storage: { status: "down" } });
    expect(body.storage.error).toBeUndefined();
    expect((await fetch(`${proxy.url}/health`)).status).toBe(200);
    const detailed = (await (await get("/health/detailed")).json()) as { status: string; storage: { status: string; error: string } };
    expect(detailed).toMatchObject({ status: "degraded", storage: { driver: "flaky", status: "down" } });
    expect(detailed.storage.error).toContain("ECONNREFUSED");

    flaky.down = false;
    expect((await fetch(`${proxy.url}/health/ready`)).status).toBe(200);
    expect(((await (await get("/health/detailed")).json()) as { status: string }).status).toBe("ok");
    expect(logs.lines().some((line) => line.includes("storage is available again"))).toBe(true);
  });
});
