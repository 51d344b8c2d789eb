import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { errorOf, jobsClient } from "../helpers/jobs-api.ts";
import { FakeJobClock } from "../helpers/jobs-clock.ts";
import { startProxy, type TestProxy } from "../helpers/proxy.ts";
import { parseSse } from "../helpers/sse.ts";

const KEY = "jobs-fires-key-0123456789abcdef";
const minute = 60_000;
const start = Date.parse("2030-01-01T00:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();

/** What the upstream was sent: role and text of each message. */
const sentMessages = (upstream: FakeUpstream, index: number) =>
  upstream.requests[index]?.body.messages.map((message: { role: string; content: string }) => [message.role, message.content]);

/**
 * Jobs firing as Runs API runs: `POST …/run`, a job every minute on a fake clock, each fire's run
 * visible at `/v1/runs/{id}`, its status and output recorded on the job, and refusals recorded too.
 */
describe("job fires", () => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;
  let clock: FakeJobClock;
  let api: ReturnType<typeof jobsClient>;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    clock = new FakeJobClock(start);
    proxy = await startProxy(
      {
        server: { apiKey: KEY },
        upstream: { baseURL: upstream.url, model: "fake-model", maxRetries: 0 },
        agent: { systemPrompt: "You are the scheduler's assistant.", maxConcurrentRuns: 1 },
      },
      { jobClock: clock },
    );
    api = jobsClient(proxy.url, KEY);
  });
  afterEach(async () => {
    await api.removeAll();
    upstream.reset();
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  it("POST /run fires now: a run visible through the Runs API, sent the job's prompt and instructions", async () => {
    const job = await api.create({ name: "digest", schedule: "every 1h", prompt: "List three prime numbers", instructions: "Answer in one line." });
    upstream.enqueue({ text: "2, 3, 5", usage: { inputTokens: 12, outputTokens: 5, totalTokens: 17 } });
    const fired = await api.request("POST", `/api/jobs/${job.id}/run`);
    expect(fired.status).toBe(202);
    const runId = fired.body.run_id as string;
    expect(fired.body).toEqual({ object: "hermes.job.fire", job_id: job.id, run_id: runId });
    expect(fired.headers.get("location")).toBe(`/v1/runs/${runId}`);

    const events = parseSse(await (await fetch(`${proxy.url}/v1/runs/${runId}/events`, { headers: { authorization: `Bearer ${KEY}` } })).text());
    const payloads = events.map((frame) => JSON.parse(frame.data) as { event: string; output?: string });
    expect(payloads.at(-1)).toMatchObject({ event: "run.completed", output: "2, 3, 5" });
    const status = await api.request("GET", `/v1/runs/${runId}`);
    expect(status.body).toMatchObject({ object: "hermes.run", run_id: runId, status: "completed", output: "2, 3, 5" });

    expect(upstream.requests).toHaveLength(1);
    expect(sentMessages(upstream, 0)).toEqual([
      ["system", "You are the scheduler's assistant.\n\nAnswer in one line."],
      ["user", "List three prime numbers"],
    ]);

    const [fire] = await api.settledFires(job.id, 1);
    expect(fire).toEqual({
      object: "hermes.job.fire",
      id: expect.stringMatching(/^fire_[0-9a-f]{32}$/),
      sequence: 1,
      job_id: job.id,
      run_id: runId,
      trigger: "manual",
      status: "completed",
      scheduled_for: null,
      fired_at: iso(start),
      completed_at: iso(start),
      output: "2, 3, 5",
      output_truncated: false,
      error: null,
      usage: { input_tokens: 12, output_tokens: 5, total_tokens: 17 },
    });
    // A manual fire neither moves the schedule nor counts against `repeat`.
    expect((await api.request("GET", `/api/jobs/${job.id}`)).body.job).toMatchObject({
      next_run_at: iso(start + 60 * minute),
      repeat: { times: null, completed: 0 },
      last_run_at: iso(start),
      last_status: "ok",
      last_run_id: runId,
      last_fire: { id: fire!.id, status: "completed", trigger: "manual", run_id: runId },
    });

    // The fire's conversation is a session of its own, named after its run, that can be read and continued.
    const session = await api.request("GET", `/api/sessions/${runId}`);
    expect(session.body.session).toMatchObject({ id: runId, source: "job", message_count: 2, input_tokens: 12, output_tokens: 5 });
    const messages = await api.request("GET", `/api/sessions/${runId}/messages`);
    expect(messages.body.data.map((message: { role: string; content: string }) => [message.role, message.content])).toEqual([
      ["user", "List three prime numbers"],
      ["assistant", "2, 3, 5"],
    ]);
  });

  it("a job every minute fires on each advance of the clock, and GET …/runs shows each fire's run, status and output", async () => {
    let answer = 0;
    upstream.script(() => ({ text: `Tick number ${++answer}` }));
    const job = await api.create({ name: "ticker", schedule: "every 1m", prompt: "Tick" });
    const createdAt = clock.now();
    for (let n = 1; n <= 3; n++) {
      await clock.advance(minute);
      await api.settledFires(job.id, n);
    }
    const fires = await api.fires(job.id);
    expect(fires.map((fire) => [fire.sequence, fire.trigger, fire.status, fire.output, fire.scheduled_for])).toEqual([
      [3, "schedule", "completed", "Tick number 3", iso(createdAt + 3 * minute)],
      [2, "schedule", "completed", "Tick number 2", iso(createdAt + 2 * minute)],
      [1, "schedule", "completed", "Tick number 1", iso(createdAt + minute)],
    ]);
    expect(new Set(fires.map((fire) => fire.run_id)).size).toBe(3);
    for (const fire of fires) expect((await api.request("GET", `/v1/runs/${fire.run_id}`)).body).toMatchObject({ status: "completed", output: fire.output });
    expect(upstream.requests.map((request) => request.body.messages.at(-1).content)).toEqual(["Tick", "Tick", "Tick"]);
    expect((await api.request("GET", `/api/jobs/${job.id}`)).body.job).toMatchObject({
      repeat: { times: null, completed: 3 },
      next_run_at: iso(createdAt + 4 * minute),
      last_run_id: fires[0]!.run_id,
      last_status: "ok",
    });

    // Pages: newest first, `after` the last id of the previous page.
    const first = await api.request("GET", `/api/jobs/${job.id}/runs?limit=2`);
    expect(first.body).toMatchObject({ object: "list", has_more: true });
    expect(first.body.data.map((fire: { sequence: number }) => fire.sequence)).toEqual([3, 2]);
    const second = await api.request("GET", `/api/jobs/${job.id}/runs?limit=2&after=${first.body.data[1].id}`);
    expect(second.body.data.map((fire: { sequence: number }) => fire.sequence)).toEqual([1]);
    expect(second.body.has_more).toBe(false);
    expect(errorOf(await api.request("GET", `/api/jobs/${job.id}/runs?limit=0`), 400).param).toBe("limit");
    expect(errorOf(await api.request("GET", `/api/jobs/${job.id}/runs?after=fire_nope`), 400).param).toBe("after");

    // Paused, it does not fire.
    await api.request("POST", `/api/jobs/${job.id}/pause`);
    await clock.advance(5 * minute);
    expect(upstream.requests).toHaveLength(3);
  });

  it("completes a job after `repeat` fires", async () => {
    const job = await api.create({ name: "twice", schedule: "every 1m", prompt: "Again", repeat: 2 });
    // One minute at a time: this proxy allows one live run, and each fire's run ends before the next.
    for (let n = 1; n <= 2; n++) {
      await clock.advance(minute);
      await api.settledFires(job.id, n);
    }
    await clock.advance(3 * minute);
    expect((await api.request("GET", `/api/jobs/${job.id}`)).body.job).toMatchObject({
      state: "completed",
      next_run_at: null,
      repeat: { times: 2, completed: 2 },
    });
    expect(upstream.requests).toHaveLength(2);
  });

  it("records a fire the run limit refused as failed; POST /run answers the 429", async () => {
    upstream.enqueue({ hang: true });
    const busy = await api.request("POST", "/v1/runs", { input: "occupy the only run slot" });
    expect(busy.status).toBe(202);
    const job = await api.create({ name: "crowded", schedule: "every 1m", prompt: "Hello" });

    const refused = errorOf(await api.request("POST", `/api/jobs/${job.id}/run`), 429);
    expect(refused.code).toBe("rate_limit_exceeded");
    await clock.advance(minute);
    const fires = await api.fires(job.id);
    expect(fires.map((fire) => [fire.trigger, fire.status, fire.run_id, (fire.error as { code: string }).code])).toEqual([
      ["schedule", "failed", null, "rate_limit_exceeded"],
      ["manual", "failed", null, "rate_limit_exceeded"],
    ]);
    expect((await api.request("GET", `/api/jobs/${job.id}`)).body.job).toMatchObject({
      last_status: "error",
      last_error: "Too many concurrent runs (max 1)",
      repeat: { completed: 1 },
      next_run_at: iso(clock.now() + minute),
    });

    await api.request("POST", `/v1/runs/${busy.body.run_id}/stop`);
    await (await fetch(`${proxy.url}/v1/runs/${busy.body.run_id}/events`, { headers: { authorization: `Bearer ${KEY}` } })).text();
    expect(upstream.requests).toHaveLength(1);
  });
});
