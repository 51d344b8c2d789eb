import { setTimeout as delay } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { captureLogs, type CapturedLogs } from "../../../src/utils/logger.ts";
import { type FakeUpstream, startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { startProxy, type TestProxy } from "../../helpers/proxy.ts";
import { describeOwnRedis, type OwnRedis, startOwnRedis } from "../../helpers/redis-server.ts";
import { readSse, type SseFrame } from "../../helpers/sse.ts";

/**
 * Redis stopped (`SIGKILL`) under mixed load on two proxy instances, then started again: the process
 * survives (any unhandled rejection fails the test), every request gets an honest answer fast (503
 * `storage_unavailable` with `Retry-After`, `response.failed`, `run.failed` — never a 500, never a
 * hang, never an acknowledgement of something not stored), `store: false` and stateless chat keep
 * answering, the readiness probe says `not_ready` meanwhile, and both instances recover by themselves
 * once Redis is back. Afterwards the storage holds every acknowledged response, conversation turn and
 * run end, and nothing the clients were told had failed reads as completed.
 *
 * The figures are printed (time to the first 503, to readiness down, to the first success after
 * Redis returns) and recorded in docs/faults.md.
 */

const KEY = "storage-outage-key-0123456789abcdef";

type Kind = "chat" | "chat-stream" | "stored" | "stored-stream" | "unstored" | "conversation" | "run";
const storedKinds: readonly Kind[] = ["stored", "stored-stream", "conversation", "run"];

interface Outcome {
  kind: Kind;
  instance: "a" | "b";
  /** ms since the load began. */
  start: number;
  end: number;
  /** `ok`, `http <status> <code>`, `stream <terminal> <code>`, `interrupted` (a followed stream that ended without a terminal event), `error <message>`. */
  result: string;
  /** The client was told it is done (200 completed, `response.completed`, `run.completed`). */
  acknowledged: boolean;
  id?: string;
  conversation?: string;
  input?: string;
  retryAfter?: string | null;
}

describeOwnRedis("a Redis outage under mixed load, on two instances", () => {
  let redis: OwnRedis;
  let upstream: FakeUpstream;
  let a: TestProxy;
  let b: TestProxy;
  let logs: CapturedLogs;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  const outcomes: Outcome[] = [];
  let t0 = 0;
  const now = () => performance.now() - t0;

  const headers = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${KEY}`, "content-type": "application/json", ...extra });
  const post = (proxy: TestProxy, path: string, body: unknown) =>
    fetch(`${proxy.url}${path}`, { method: "POST", headers: headers(), body: JSON.stringify(body), signal: AbortSignal.timeout(15_000) });
  const get = (proxy: TestProxy, path: string) => fetch(`${proxy.url}${path}`, { headers: headers(), signal: AbortSignal.timeout(15_000) });
  const json = (frame: SseFrame) => JSON.parse(frame.data) as Record<string, any>;
  async function failure(response: Response): Promise<string> {
    const text = await response.text();
    let code = "?";
    try {
      code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? "?";
    } catch {
      code = "not-json";
    }
    return `http ${response.status} ${code}`;
  }

  /** One request of each kind, as a client makes it; what it saw. */
  const requests: Record<Kind, (proxy: TestProxy, other: TestProxy, n: number, worker: number) => Promise<Partial<Outcome>>> = {
    async chat(proxy, _other, n) {
      const response = await post(proxy, "/v1/chat/completions", { model: "m", messages: [{ role: "user", content: `chat ${n}` }] });
      if (response.status !== 200) return { result: await failure(response) };
      const body = (await response.json()) as { choices: { message: { content: string } }[] };
      return { result: body.choices[0]!.message.content === `chat ${n}` ? "ok" : "wrong answer", acknowledged: true };
    },
    async "chat-stream"(proxy, _other, n) {
      const response = await post(proxy, "/v1/chat/completions", { model: "m", stream: true, messages: [{ role: "user", content: `streamed chat ${n}` }] });
      if (response.status !== 200) return { result: await failure(response) };
      let text = "";
      let done = false;
      for await (const frame of readSse(response)) {
        if (frame.data === "[DONE]") done = true;
        else text += json(frame).choices?.[0]?.delta?.content ?? "";
      }
      return {
        result: done && text === `streamed chat ${n}` ? "ok" : `stream ended (${done ? "[DONE]" : "no [DONE]"}) with ${JSON.stringify(text)}`,
        acknowledged: done,
      };
    },
    async stored(proxy, _other, n) {
      const input = `stored ${n}`;
      const response = await post(proxy, "/v1/responses", { model: "m", input });
      if (response.status !== 200) return { result: await failure(response), retryAfter: response.headers.get("retry-after"), input };
      const body = (await response.json()) as { id: string; status: string };
      return { result: body.status === "completed" ? "ok" : `status ${body.status}`, acknowledged: body.status === "completed", id: body.id, input };
    },
    async "stored-stream"(proxy, _other, n) {
      const input = `stored stream ${n} one two three four five six`;
      const response = await post(proxy, "/v1/responses", { model: "m", input, stream: true });
      if (response.status !== 200) return { result: await failure(response), retryAfter: response.headers.get("retry-after"), input };
      let terminal: SseFrame | undefined;
      for await (const frame of readSse(response)) if (/^response\.(completed|failed|incomplete)$/.test(frame.event ?? "")) terminal = frame;
      if (!terminal) return { result: "interrupted", input };
      const { response: object } = json(terminal) as { response: { id: string; status: string; error: { code: string } | null } };
      const completed = terminal.event === "response.completed";
      return { result: completed ? "ok" : `stream ${terminal.event} ${object.error?.code}`, acknowledged: completed, id: object.id, input };
    },
    async unstored(proxy, _other, n) {
      const response = await post(proxy, "/v1/responses", { model: "m", input: `unstored ${n}`, store: false });
      if (response.status !== 200) return { result: await failure(response) };
      const body = (await response.json()) as { status: string };
      return { result: body.status === "completed" ? "ok" : `status ${body.status}`, acknowledged: true };
    },
    async conversation(proxy, _other, n, worker) {
      const conversation = `talk-${worker}`;
      const input = `${conversation} turn ${n}`;
      const response = await post(proxy, "/v1/responses", { model: "m", input, conversation });
      if (response.status !== 200) return { result: await failure(response), retryAfter: response.headers.get("retry-after"), conversation, input };
      const body = (await response.json()) as { id: string; status: string };
      return {
        result: body.status === "completed" ? "ok" : `status ${body.status}`,
        acknowledged: body.status === "completed",
        id: body.id,
        conversation,
        input,
      };
    },
    /** Started on one instance, followed from the other (pub/sub and the stored log). */
    async run(proxy, other, n) {
      const started = await post(proxy, "/v1/runs", { input: `run ${n} one two three four five six seven eight` });
      if (started.status !== 202) return { result: await failure(started), retryAfter: started.headers.get("retry-after") };
      const { run_id: id } = (await started.json()) as { run_id: string };
      const events = await get(other, `/v1/runs/${id}/events`);
      if (events.status !== 200) return { result: `follow ${await failure(events)}`, id };
      let terminal: Record<string, any> | undefined;
      for await (const frame of readSse(events)) {
        const payload = json(frame);
        if (["run.completed", "run.failed", "run.cancelled"].includes(payload.event)) terminal = payload;
      }
      if (!terminal) return { result: "interrupted", id };
      return {
        result: terminal.event === "run.completed" ? "ok" : `stream ${terminal.event} ${terminal.code}`,
        acknowledged: terminal.event === "run.completed",
        id,
      };
    },
  };

  /** Every response record in Redis, read directly: what the storage holds, whatever the proxies say. */
  async function storedResponses(): Promise<{ id: string; status: string }[]> {
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      const records: { id: string; status: string }[] = [];
      let cursor = "0";
      do {
        const [next, keys] = await client.scan(cursor, "MATCH", "outage:responses:*", "COUNT", 500);
        cursor = next;
        for (const value of keys.length > 0 ? await client.mget(...keys) : []) {
          const record = JSON.parse(value!) as { response: { id: string; status: string } };
          records.push({ id: record.response.id, status: record.response.status });
        }
      } while (cursor !== "0");
      return records;
    } finally {
      client.disconnect();
    }
  }
  /** Completed responses in storage whose id no client was given; waits for the settling writes (every second). */
  async function eventuallyNoneCompleted(told: Set<string>): Promise<string[]> {
    let stray: string[] = [];
    for (const deadline = Date.now() + 5_000; Date.now() < deadline; await delay(250)) {
      stray = (await storedResponses()).filter((record) => record.status === "completed" && !told.has(record.id)).map((record) => record.id);
      if (stray.length === 0) break;
    }
    return stray;
  }

  /** What each worker sends, in turn; they alternate between the instances. */
  const workers: Kind[][] = [
    ["chat", "chat-stream"],
    ["stored", "stored-stream"],
    ["stored-stream"],
    ["unstored"],
    ["conversation"],
    ["conversation"],
    ["run"],
    ["stored"],
  ];

  beforeAll(async () => {
    process.on("unhandledRejection", onUnhandled);
    process.on("uncaughtExceptionMonitor", onUnhandled);
    logs = captureLogs();
    redis = await startOwnRedis();
    upstream = await startFakeUpstream();
    // Echoes the last user text; streams are paced, so that some are mid-flight when Redis goes.
    upstream.script(() => ({ delayMs: 15 }));
    const config = {
      server: { apiKey: KEY },
      upstream: { baseURL: upstream.url, model: "fake-model" },
      storage: `${redis.url}/0?prefix=outage`,
      jobs: { pollIntervalMs: 200 },
    };
    [a, b] = await Promise.all([startProxy(config), startProxy(config)]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await upstream?.close();
    await redis?.close();
    logs?.restore();
    process.off("unhandledRejection", onUnhandled);
    process.off("uncaughtExceptionMonitor", onUnhandled);
  });

  it("survives, fails fast and honestly, recovers by itself, and loses nothing it acknowledged", { timeout: 90_000 }, async () => {
    // A job due while Redis is down: the schedulers of both instances meet the outage too.
    const job = await post(a, "/api/jobs", { name: "during the outage", schedule: new Date(Date.now() + 2_000).toISOString(), prompt: "job" });
    expect(job.status, await job.clone().text()).toBe(201);

    let stopping = false;
    t0 = performance.now();
    const loops = workers.map(async (kinds, worker) => {
      for (let n = 0; !stopping; n++) {
        const kind = kinds[n % kinds.length]!;
        const [proxy, other, instance] = n % 2 === 0 ? ([a, b, "a"] as const) : ([b, a, "b"] as const);
        const start = now();
        let seen: Partial<Outcome>;
        try {
          seen = await requests[kind](proxy, other, n, worker);
        } catch (error) {
          seen = { result: `error ${(error as Error).message}` };
        }
        outcomes.push({ kind, instance, start, end: now(), acknowledged: false, result: "?", ...seen });
        await delay(20);
      }
    });

    // Readiness as a balancer sees it: the first 503 after Redis stops, the first 200 after it is back.
    const readiness: { instance: "a" | "b"; at: number; status: number }[] = [];
    let probing = true;
    const probes = [a, b].map(async (proxy, index) => {
      while (probing) {
        const response = await fetch(`${proxy.url}/health/ready`).catch(() => undefined);
        readiness.push({ instance: index === 0 ? "a" : "b", at: now(), status: response?.status ?? 0 });
        await response?.body?.cancel();
        await delay(50);
      }
    });

    await delay(2_000);
    const down = now();
    await redis.stop("SIGKILL");
    await delay(4_000);
    const up = now();
    await redis.start();
    const restarted = now();
    // Until both instances answered a stored response again, then a while more.
    const recovered = (instance: "a" | "b") =>
      outcomes.find((outcome) => outcome.instance === instance && outcome.kind === "stored" && outcome.start >= restarted && outcome.result === "ok");
    for (const deadline = now() + 20_000; !(recovered("a") && recovered("b")) && now() < deadline;) await delay(50);
    await delay(3_000);
    stopping = true;
    await Promise.all(loops);
    probing = false;
    await Promise.all(probes);

    // --- The process survived, and nothing hung or answered 500.
    expect(unhandled).toEqual([]);
    const honest =
      /^(ok|http 503 storage_unavailable|stream response\.failed storage_unavailable|stream run\.failed storage_unavailable|interrupted|follow http 503 storage_unavailable|http 409 conversation_conflict)$/;
    expect(outcomes.filter((outcome) => !honest.test(outcome.result))).toEqual([]);
    // Every 503 said when to retry.
    expect(outcomes.filter((outcome) => outcome.result.startsWith("http 503") && outcome.retryAfter !== undefined && outcome.retryAfter !== "1")).toEqual([]);

    // --- Before the outage everything succeeded.
    const before = outcomes.filter((outcome) => outcome.end < down);
    expect(before.length).toBeGreaterThan(20);
    expect(before.filter((outcome) => outcome.result !== "ok")).toEqual([]);

    // --- During it: stored kinds fail fast with 503; stateless chat and store:false go on answering.
    const during = outcomes.filter((outcome) => outcome.start > down + 100 && outcome.end < up);
    const duringStored = during.filter((outcome) => storedKinds.includes(outcome.kind));
    expect(duringStored.length).toBeGreaterThan(10);
    expect(duringStored.filter((outcome) => outcome.acknowledged)).toEqual([]);
    const slowest503 = Math.max(...duringStored.map((outcome) => outcome.end - outcome.start));
    expect(slowest503).toBeLessThan(1_500);
    const stateless = during.filter((outcome) => ["chat", "chat-stream", "unstored"].includes(outcome.kind));
    expect(stateless.length).toBeGreaterThan(5);
    expect(stateless.filter((outcome) => outcome.result !== "ok")).toEqual([]);
    const first503 =
      Math.min(...outcomes.filter((outcome) => outcome.end > down && outcome.result.includes("storage_unavailable")).map((outcome) => outcome.end)) - down;
    expect(first503).toBeLessThan(1_500);
    const notReady = (instance: "a" | "b") => readiness.find((probe) => probe.instance === instance && probe.at > down && probe.status === 503)!.at - down;
    const readyAgain = (instance: "a" | "b") =>
      readiness.find((probe) => probe.instance === instance && probe.at > restarted && probe.status === 200)!.at - restarted;
    expect(Math.max(notReady("a"), notReady("b"))).toBeLessThan(1_500);
    expect(readiness.filter((probe) => probe.at > down + 1_500 && probe.at < up).every((probe) => probe.status === 503)).toBe(true);

    // --- After it: both recovered by themselves, and everything succeeds again.
    const recoveryA = recovered("a")!.end - restarted;
    const recoveryB = recovered("b")!.end - restarted;
    expect(Math.max(recoveryA, recoveryB)).toBeLessThan(5_000);
    const settledAt = restarted + Math.max(recoveryA, recoveryB) + 1_500;
    const after = outcomes.filter((outcome) => outcome.start > settledAt);
    expect(after.length).toBeGreaterThan(5);
    expect(after.filter((outcome) => outcome.result !== "ok")).toEqual([]);
    expect(Math.max(readyAgain("a"), readyAgain("b"))).toBeLessThan(5_000);

    // --- What storage holds. Every acknowledged response reads back completed, from the other instance.
    const acknowledgedResponses = outcomes.filter(
      (outcome) => outcome.acknowledged && outcome.id && ["stored", "stored-stream", "conversation"].includes(outcome.kind),
    );
    for (const outcome of acknowledgedResponses) {
      const read = await get(outcome.instance === "a" ? b : a, `/v1/responses/${outcome.id}`);
      expect(read.status, `${outcome.kind} ${outcome.id}`).toBe(200);
      expect(((await read.json()) as { status: string }).status).toBe("completed");
    }
    // A stream told `response.failed` reads back failed (settled once Redis was back), never completed.
    const failedStreams = outcomes.filter((outcome) => outcome.result === "stream response.failed storage_unavailable");
    for (const outcome of failedStreams) {
      await expect
        .poll(async () => ((await (await get(a, `/v1/responses/${outcome.id}`)).json()) as { status?: string }).status, { timeout: 5_000 })
        .toBe("failed");
    }
    // Each conversation holds exactly its acknowledged turns, in order: the next turn is sent them all.
    const checks: string[] = [];
    for (const conversation of new Set(outcomes.flatMap((outcome) => outcome.conversation ?? []))) {
      const turns = outcomes.filter((outcome) => outcome.conversation === conversation).sort((x, y) => x.start - y.start);
      const acknowledged = turns.filter((outcome) => outcome.acknowledged).map((outcome) => outcome.input!);
      let check: Response | undefined;
      await expect
        .poll(async () => (check = await post(a, "/v1/responses", { model: "m", input: "check", conversation })).status, { timeout: 5_000 })
        .toBe(200);
      checks.push(((await check!.json()) as { id: string }).id);
      const sent = upstream.requests.at(-1)!.body.messages.map((message: { content: string }) => message.content) as string[];
      expect(sent, conversation).toEqual([...acknowledged.flatMap((input) => [input, input]), "check"]);
    }
    // And storage holds no completed response that a client was not told about.
    const told = new Set([...acknowledgedResponses.map((outcome) => outcome.id!), ...checks]);
    const unacknowledgedCompleted = await eventuallyNoneCompleted(told);
    expect(unacknowledgedCompleted).toEqual([]);
    // Every run has ended in storage; one its follower saw complete is completed, one it saw fail is failed.
    const runs = outcomes.filter((outcome) => outcome.kind === "run" && outcome.id);
    const runStatus: Record<string, number> = {};
    for (const outcome of runs) {
      const status = await expect
        .poll(async () => ((await (await get(b, `/v1/runs/${outcome.id}`)).json()) as { status: string }).status, { timeout: 5_000 })
        .toMatch(/^(completed|failed|cancelled)$/)
        .then(async () => ((await (await get(b, `/v1/runs/${outcome.id}`)).json()) as { status: string }).status);
      runStatus[status] = (runStatus[status] ?? 0) + 1;
      if (outcome.result === "ok") expect(status, outcome.id).toBe("completed");
      if (outcome.result.startsWith("stream run.failed")) expect(status, outcome.id).toBe("failed");
    }

    // --- The figures (docs/faults.md).
    const count = (list: Outcome[]) => {
      const byResult: Record<string, number> = {};
      for (const outcome of list) byResult[`${outcome.kind}: ${outcome.result}`] = (byResult[`${outcome.kind}: ${outcome.result}`] ?? 0) + 1;
      return byResult;
    };
    const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] ?? NaN;
    const jobFires = (await (await get(a, `/api/jobs/${((await job.json()) as { job: { id: string } }).job.id}/runs`)).json()) as {
      data: { status: string }[];
    };
    console.log(
      [
        `storage outage (Redis SIGKILL for ${Math.round(up - down)} ms; ${outcomes.length} requests from ${workers.length} clients over two instances):`,
        `  first 503 storage_unavailable ${Math.round(first503)} ms after Redis stopped; readiness 503 after ${Math.round(notReady("a"))} / ${Math.round(notReady("b"))} ms (a / b)`,
        `  503s during the outage: median ${Math.round(median(duringStored.map((outcome) => outcome.end - outcome.start)))} ms, slowest ${Math.round(slowest503)} ms`,
        `  Redis answering again ${Math.round(restarted - up)} ms after its start; first stored response after that: ${Math.round(recoveryA)} / ${Math.round(recoveryB)} ms; readiness 200 after ${Math.round(readyAgain("a"))} / ${Math.round(readyAgain("b"))} ms (a / b)`,
        `  before: ${JSON.stringify(count(before))}`,
        `  in flight when Redis stopped: ${JSON.stringify(count(outcomes.filter((outcome) => outcome.start < down && outcome.end > down)))}`,
        `  during: ${JSON.stringify(count(during))}`,
        `  while Redis came back: ${JSON.stringify(count(outcomes.filter((outcome) => outcome.end > up && outcome.start < settledAt)))}`,
        `  after:  ${JSON.stringify(count(after))}`,
        `  stored afterwards: ${acknowledgedResponses.length} acknowledged responses all completed; ${failedStreams.length} failed streams read back failed; runs ${JSON.stringify(runStatus)}; job fires ${JSON.stringify(jobFires.data?.map((fire) => fire.status))}`,
        `  log lines: ${logs.lines().length}, e.g. ${JSON.stringify(logs.lines().find((line) => line.includes("storage is unavailable")))}`,
      ].join("\n"),
    );
  });

  it("a Redis that stops answering (SIGSTOP) is a 503 within about a second, not a hang; what it ran late is settled", { timeout: 60_000 }, async () => {
    const before = new Set((await storedResponses()).map((record) => record.id));
    redis.pause();
    const paused = performance.now();
    try {
      // The first request meets the silence: its storage calls time out after 1 s.
      const first = await timedRequest(() => post(a, "/v1/responses", { model: "m", input: "into the silence" }));
      expect(first.response.status).toBe(503);
      expect(first.response.headers.get("retry-after")).toBe("1");
      expect(((await first.response.json()) as { error: { code: string } }).error.code).toBe("storage_unavailable");
      expect(first.ms).toBeLessThan(2_000);
      // Known down now: the next ones are refused at once, on the first try of a probe that times out.
      const second = await timedRequest(() => post(b, "/v1/responses", { model: "m", input: "still silent" }));
      expect(second.response.status).toBe(503);
      await second.response.body?.cancel();
      const ready = await timedRequest(() => fetch(`${a.url}/health/ready`));
      expect(ready.response.status).toBe(503);
      await ready.response.body?.cancel();
      expect(ready.ms).toBeLessThan(1_500);
      // Stateless requests go on.
      const chat = await post(b, "/v1/chat/completions", { model: "m", messages: [{ role: "user", content: "still here" }] });
      expect(chat.status).toBe(200);
      await chat.body?.cancel();
      console.log(
        `hung Redis (SIGSTOP): first 503 after ${Math.round(first.ms)} ms, the next after ${Math.round(second.ms)} ms, readiness 503 after ${Math.round(ready.ms)} ms`,
      );
    } finally {
      redis.resume();
    }
    const resumed = performance.now();
    await expect.poll(async () => (await fetch(`${a.url}/health/ready`)).status, { timeout: 10_000, interval: 50 }).toBe(200);
    await expect.poll(async () => (await fetch(`${b.url}/health/ready`)).status, { timeout: 10_000, interval: 50 }).toBe(200);
    const readyAfter = performance.now() - resumed;
    // Redis ran the writes it had been sent once it went on: none of them may read as completed.
    expect(await eventuallyNoneCompleted(before)).toEqual([]);
    const late = (await storedResponses()).filter((record) => !before.has(record.id));
    console.log(
      `  ready again ${Math.round(readyAfter)} ms after SIGCONT (paused ${Math.round(resumed - paused)} ms); stored meanwhile: ${JSON.stringify(late)}`,
    );
    const after = await post(a, "/v1/responses", { model: "m", input: "answered again" });
    expect(after.status).toBe(200);
    await after.body?.cancel();
    expect(unhandled).toEqual([]);
  });

  async function timedRequest(send: () => Promise<Response>) {
    const started = performance.now();
    const response = await send();
    return { response, ms: performance.now() - started };
  }
});
