import { mkdtempSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { binPath, cleanEnv, repoRoot, type RunningCli, startCli } from "../helpers/cli.ts";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { describeRedis, redisSpec } from "../helpers/redis.ts";
import { parseSse, readSse, type SseFrame } from "../helpers/sse.ts";

const KEY = "multi-instance-key-0123456789abcdef";

/** Both processes load this: a run limit of 2 and a tool that asks for approval. */
const configSource = `import { definePlugin, defineTool } from ${JSON.stringify(join(repoRoot, "sdk/index.ts"))};
export default {
  agent: { maxConcurrentRuns: 2 },
  plugins: [definePlugin({ name: "guarded", tools: [defineTool({ name: "remove_file", description: "Deletes a file", needsApproval: true, execute: () => "deleted" })] })],
};
`;

/**
 * Two proxy processes (the real CLI, on two ports) on one Redis behave as one: state written by either
 * is read by the other, runs stream across them over pub/sub, commands reach the process that owns a
 * run or background response, and limits and claims are shared.
 */
describeRedis("two proxy processes on one Redis", ({ prefix }) => {
  let upstream: FakeUpstream;
  let cwd: string;
  let a: RunningCli;
  let b: RunningCli;
  const clientOf = (cli: RunningCli) => new OpenAI({ baseURL: `${cli.url}/v1`, apiKey: KEY, maxRetries: 0 });
  const headers = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${KEY}`, "content-type": "application/json", ...extra });
  const post = (cli: RunningCli, path: string, body: unknown, extra: Record<string, string> = {}) =>
    fetch(`${cli.url}${path}`, { method: "POST", headers: headers(extra), body: JSON.stringify(body) });
  const get = (cli: RunningCli, path: string, extra: Record<string, string> = {}) => fetch(`${cli.url}${path}`, { headers: headers(extra) });
  const startRun = async (cli: RunningCli, body: unknown) => {
    const response = await post(cli, "/v1/runs", body);
    expect(response.status).toBe(202);
    return ((await response.json()) as { run_id: string }).run_id;
  };
  const sent = (index: number) => upstream.requests[index]?.body.messages.map((message: { content: string }) => message.content);

  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), "hermes-multi-"));
    await writeFile(join(cwd, "hermes.config.ts"), configSource);
    upstream = await startFakeUpstream();
    const env = { HERMES_STORAGE: redisSpec(`${prefix}:pair`), HERMES_API_KEY: KEY, HERMES_UPSTREAM_URL: upstream.url, HERMES_UPSTREAM_MODEL: "fake-model" };
    const launch = () => startCli(process.execPath, [binPath, "--port", "0"], { cwd, env, envBase: cleanEnv(), timeoutMs: 20_000 });
    [a, b] = await Promise.all([launch(), launch()]);
    expect(a.output().stdout).toContain("(prefix ");
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    for (const cli of [a, b]) if (cli && cli.child.exitCode === null) cli.child.kill("SIGTERM");
    await Promise.all([a, b].map((cli) => cli?.exited.catch(() => undefined)));
    await upstream.close();
    await rm(cwd, { recursive: true, force: true });
  });

  it("a response stored by A is retrieved and chained by B", async () => {
    upstream.enqueue({ text: "Hi Ada." }, { text: "You are Ada." });
    const first = await clientOf(a).responses.create({ model: "m", input: "I am Ada." });
    expect((await clientOf(b).responses.retrieve(first.id)).output_text).toBe("Hi Ada.");
    const second = await clientOf(b).responses.create({ model: "m", input: "Who am I?", previous_response_id: first.id });
    expect(second.output_text).toBe("You are Ada.");
    expect(sent(1)).toEqual(["I am Ada.", "Hi Ada.", "Who am I?"]);
  });

  it("a conversation advanced by A is seen by B", async () => {
    upstream.enqueue({ text: "one back" }, { text: "two back" });
    await post(a, "/v1/responses", { input: "one", conversation: "shared" });
    const second = await post(b, "/v1/responses", { input: "two", conversation: "shared" });
    expect(second.status).toBe(200);
    expect(sent(1)).toEqual(["one", "one back", "two"]);
  });

  it("two turns racing on one conversation name: one wins, the other gets 409 conversation_conflict", async () => {
    upstream.enqueue({ text: "seed" });
    await post(a, "/v1/responses", { input: "seed", conversation: "race" });
    upstream.script(() => ({ text: "slow answer", delayMs: 50 }));
    const [onA, onB] = await Promise.all([
      post(a, "/v1/responses", { input: "from A", conversation: "race" }),
      post(b, "/v1/responses", { input: "from B", conversation: "race" }),
    ]);
    const statuses = [onA.status, onB.status].sort();
    expect(statuses).toEqual([200, 409]);
    const loser = onA.status === 409 ? onA : onB;
    expect(loser.headers.get("retry-after")).toBe("1");
    expect(((await loser.json()) as { error: { code: string; param: string } }).error).toMatchObject({ code: "conversation_conflict", param: "conversation" });
    const winner = onA.status === 200 ? "from A" : "from B";
    upstream.script(undefined);
    upstream.enqueue({ text: "after" });
    await post(b, "/v1/responses", { input: "next", conversation: "race" });
    expect(sent(upstream.requests.length - 1)).toEqual(["seed", "seed", winner, "slow answer", "next"]);
  });

  it("a run started on A streams live from B, and replays from B", async () => {
    upstream.enqueue({ text: "one two three four five six", delayMs: 60 });
    const runId = await startRun(a, { input: "count" });
    const frames: SseFrame[] = [];
    const [onA] = await Promise.all([
      get(a, `/v1/runs/${runId}/events`).then(async (response) => parseSse(await response.text())),
      (async () => {
        for await (const frame of readSse(await get(b, `/v1/runs/${runId}/events`))) frames.push(frame);
      })(),
    ]);
    expect(frames).toEqual(onA);
    expect(JSON.parse(frames.at(-1)!.data)).toMatchObject({ event: "run.completed", output: "one two three four five six" });
    const replayed = parseSse(await (await get(b, `/v1/runs/${runId}/events`, { "last-event-id": "3" })).text());
    expect(replayed).toEqual(onA.slice(3));
    expect(((await (await get(b, `/v1/runs/${runId}`)).json()) as { status: string }).status).toBe("completed");
  });

  it("a run on A is stopped and its approval answered from B", async () => {
    upstream.enqueue({ toolCalls: [{ id: "call_rm", name: "remove_file", arguments: {} }] }, { text: "Removed." });
    const approving = await startRun(a, { input: "delete it" });
    for await (const frame of readSse(await get(b, `/v1/runs/${approving}/events`))) if (JSON.parse(frame.data).event === "approval.request") break;
    const answered = await post(b, `/v1/runs/${approving}/approval`, { choice: "once" });
    expect(await answered.json()).toMatchObject({ run_id: approving, choice: "once", resolved: 1 });
    const events = parseSse(await (await get(b, `/v1/runs/${approving}/events`)).text()).map((frame) => JSON.parse(frame.data).event);
    expect(events.slice(0, 4)).toEqual(["approval.request", "approval.responded", "tool.started", "tool.completed"]);

    upstream.enqueue({ hang: true });
    const hanging = await startRun(a, { input: "hang" });
    await expect.poll(() => upstream.requests.length).toBe(3);
    expect(await (await post(b, `/v1/runs/${hanging}/stop`, {})).json()).toEqual({ run_id: hanging, status: "stopping" });
    const last = parseSse(await (await get(b, `/v1/runs/${hanging}/events`)).text()).at(-1);
    expect(JSON.parse(last!.data).event).toBe("run.cancelled");
  });

  it("shares the run limit: two live runs in all, whichever process they started on", async () => {
    upstream.script(() => ({ hang: true }));
    const first = await startRun(a, { input: "1" });
    const second = await startRun(b, { input: "2" });
    const refusedA = await post(a, "/v1/runs", { input: "3" });
    const refusedB = await post(b, "/v1/runs", { input: "3" });
    expect([refusedA.status, refusedB.status]).toEqual([429, 429]);
    expect(((await refusedB.json()) as { error: { code: string } }).error.code).toBe("rate_limit_exceeded");
    await post(b, `/v1/runs/${first}/stop`, {});
    await (await get(a, `/v1/runs/${first}/events`)).text();
    const third = await startRun(b, { input: "3" });
    for (const runId of [second, third]) await post(a, `/v1/runs/${runId}/stop`, {});
    for (const runId of [second, third]) await (await get(b, `/v1/runs/${runId}/events`)).text();
  });

  it("a background response started on A (streaming) is polled and cancelled from B, which cannot re-attach its stream", async () => {
    upstream.enqueue({ text: Array.from({ length: 100 }, (_, i) => `w${i}`).join(" "), delayMs: 30 });
    const stream = await clientOf(a).responses.create({ model: "m", input: "long", background: true, stream: true });
    let id = "";
    let last = -1;
    for await (const event of stream) {
      if (event.type === "response.created") id = event.response.id;
      last = event.sequence_number;
      if (event.type === "response.output_text.delta") break;
    }
    const queued = { id };
    expect((await clientOf(b).responses.retrieve(id)).status).toBe("in_progress");
    // Its frames live on A alone: B says so instead of a stream that would never move.
    const reattach = await get(b, `/v1/responses/${id}?stream=true&starting_after=${last}`);
    expect(reattach.status).toBe(400);
    expect(((await reattach.json()) as { error: { code: string } }).error.code).toBe("stream_unavailable");
    expect((await clientOf(b).responses.cancel(queued.id)).status).toBe("cancelled");
    expect((await clientOf(a).responses.retrieve(queued.id)).status).toBe("cancelled");
  });

  it("an idempotency key used on A is honoured on B, and B waits while A still computes it", async () => {
    upstream.enqueue({ text: "computed once" });
    const body = { input: "idempotent across processes" };
    const first = await post(a, "/v1/responses", body, { "idempotency-key": "shared-key" });
    const replay = await post(b, "/v1/responses", body, { "idempotency-key": "shared-key" });
    expect(replay.headers.get("idempotency-replayed")).toBe("true");
    expect(((await replay.json()) as { id: string }).id).toBe(((await first.json()) as { id: string }).id);
    expect(upstream.requests).toHaveLength(1);

    upstream.enqueue({ text: "slow", delayMs: 100, chunks: 4 });
    const slow = post(a, "/v1/responses", { input: "slow one" }, { "idempotency-key": "slow-key" });
    await expect.poll(() => upstream.requests.length).toBe(2);
    const busy = await post(b, "/v1/responses", { input: "slow one" }, { "idempotency-key": "slow-key" });
    expect(busy.status).toBe(409);
    expect(busy.headers.get("retry-after")).toBe("1");
    expect(((await busy.json()) as { error: { code: string } }).error.code).toBe("idempotency_key_in_use");
    expect((await slow).status).toBe(200);
  });

  // Last: it kills A.
  it("settles a run whose process was killed when B is asked to stop it", async () => {
    upstream.script(() => ({ hang: true }));
    const runId = await startRun(a, { input: "doomed" });
    await expect.poll(() => upstream.requests.length).toBe(1);
    a.child.kill("SIGKILL");
    await a.exited;
    const stopped = await post(b, `/v1/runs/${runId}/stop`, {});
    expect(await stopped.json()).toEqual({ run_id: runId, status: "failed" });
    const last = JSON.parse(parseSse(await (await get(b, `/v1/runs/${runId}/events`)).text()).at(-1)!.data);
    expect(last).toMatchObject({ event: "run.failed", code: "run_abandoned" });
    // Its slot in the shared limit lapses with its lease; B's own runs are unaffected.
    upstream.script(undefined);
  });
});
