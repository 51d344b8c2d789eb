import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, expect, it } from "vitest";
import { binPath, cleanEnv, type RunningCli, startCli } from "../../helpers/cli.ts";
import { type FakeUpstream, startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { jobsClient } from "../../helpers/jobs-api.ts";
import { expectConsecutiveIds, expectSealedLog, readStoredRun } from "../../helpers/run-log.ts";
import { parseSse, readSse, type SseFrame } from "../../helpers/sse.ts";
import { describeStorages } from "../../helpers/storages.ts";

const KEY = "crash-restart-key-0123456789abcdef";
const words = (count: number) => Array.from({ length: count }, (_, i) => `w${i}`).join(" ");

/**
 * kill -9 of the one process on fs or SQLite while a run (followed), a background response and a job
 * fire are live: the next start settles them before it takes requests — the run `failed`
 * (`run_abandoned`) with its log sealed by that event, the background response `failed`
 * (`response_abandoned`), the fire `failed` — so status, replay, stop and cancel answer at once.
 */
describeStorages(
  "work cut off by kill -9 is settled at the next start",
  (target) => {
    let upstream: FakeUpstream;
    let cwd: string;
    let spec: string;
    const processes: RunningCli[] = [];
    const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
    const launch = async () => {
      const cli = await startCli(process.execPath, [binPath, "--port", "0"], {
        cwd,
        env: { HERMES_STORAGE: spec, HERMES_API_KEY: KEY, HERMES_UPSTREAM_URL: upstream.url, HERMES_UPSTREAM_MODEL: "fake-model", HERMES_LOG_REQUESTS: "0" },
        envBase: cleanEnv(),
        timeoutMs: 20_000,
      });
      processes.push(cli);
      return cli;
    };
    const get = (cli: RunningCli, path: string, extra: Record<string, string> = {}) => fetch(`${cli.url}${path}`, { headers: { ...headers, ...extra } });
    const post = (cli: RunningCli, path: string, body: unknown = {}) => fetch(`${cli.url}${path}`, { method: "POST", headers, body: JSON.stringify(body) });

    beforeAll(async () => {
      cwd = mkdtempSync(join(tmpdir(), "hermes-crash-"));
      spec = target.spec();
      upstream = await startFakeUpstream();
    });
    afterAll(async () => {
      for (const cli of processes) if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill("SIGKILL");
      await Promise.all(processes.map((cli) => cli.exited.catch(() => undefined)));
      await upstream.close();
      await rm(cwd, { recursive: true, force: true });
    });

    it("settles the run, the background response and the job fire, and they answer sensibly", async () => {
      let cli = await launch();
      upstream.script(() => ({ text: words(300), delayMs: 40 }));
      const { run_id: runId } = (await (await post(cli, "/v1/runs", { input: "count slowly" })).json()) as { run_id: string };
      const frames: SseFrame[] = [];
      const following = (async () => {
        for await (const frame of readSse(await get(cli, `/v1/runs/${runId}/events`))) frames.push(frame);
      })().catch(() => undefined);
      const openai = (url: string) => new OpenAI({ baseURL: `${url}/v1`, apiKey: KEY, maxRetries: 0 });
      const background = await openai(cli.url).responses.create({ model: "m", input: "a long one", background: true });
      const api = jobsClient(cli.url, KEY);
      const job = await api.create({ name: "nightly", schedule: "every 1d", prompt: "a slow fire" });
      const fired = await api.request("POST", `/api/jobs/${job.id}/run`);
      expect(fired.status).toBe(202);
      await expect.poll(() => upstream.requests.length, { timeout: 10_000 }).toBe(3);
      await expect.poll(() => frames.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
      const before = await get(cli, `/v1/runs/${runId}`);
      expect(((await before.json()) as { status: string }).status).toBe("running");

      cli.child.kill("SIGKILL");
      expect((await cli.exited).signal).toBe("SIGKILL");
      await following;
      upstream.script(undefined);
      const restartedAt = Date.now();
      cli = await launch();
      console.log(`[crash-restart ${target.name}] restarted and settled in ${Date.now() - restartedAt} ms (process start included)`);

      // The run: failed, run_abandoned, its replay ending in that terminal event after what the
      // follower saw before the crash (a prefix: it was only given stored events).
      const status = (await (await get(cli, `/v1/runs/${runId}`)).json()) as Record<string, unknown>;
      expect(status).toMatchObject({ status: "failed", last_event: "run.failed", error: expect.any(String), error_code: "run_abandoned" });
      const replay = parseSse(await (await get(cli, `/v1/runs/${runId}/events`)).text());
      expectConsecutiveIds(replay);
      expect(replay.slice(0, frames.length)).toEqual(frames);
      expect(JSON.parse(replay.at(-1)!.data)).toMatchObject({ event: "run.failed", code: "run_abandoned" });
      const tail = parseSse(await (await get(cli, `/v1/runs/${runId}/events`, { "last-event-id": String(frames.length) })).text());
      expect(tail).toEqual(replay.slice(frames.length));
      expect(await (await post(cli, `/v1/runs/${runId}/stop`)).json()).toEqual({ run_id: runId, status: "failed" });

      // The background response: failed, with an error that says why; a cancel is refused as for any finished one.
      const settled = await openai(cli.url).responses.retrieve(background.id);
      expect(settled).toMatchObject({ status: "failed", error: { code: "response_abandoned" } });
      const cancel = await post(cli, `/v1/responses/${background.id}/cancel`);
      expect(cancel.status).toBe(400);
      expect(((await cancel.json()) as { error: { code: string } }).error.code).toBe("not_cancellable");

      // The job fire: failed with its run.
      const fires = await jobsClient(cli.url, KEY).fires(job.id);
      expect(fires[0]).toMatchObject({ run_id: fired.body.run_id, status: "failed", error: { code: "run_abandoned" } });
      const fireRun = (await (await get(cli, `/v1/runs/${fired.body.run_id}`)).json()) as { status: string };
      expect(fireRun.status).toBe("failed");
      const fireReplay = parseSse(await (await get(cli, `/v1/runs/${fired.body.run_id}/events`)).text());
      expect(JSON.parse(fireReplay.at(-1)!.data)).toMatchObject({ event: "run.failed", code: "run_abandoned" });

      // New work runs as before.
      upstream.enqueue({ text: "fresh" });
      const fresh = (await (await post(cli, "/v1/runs", { input: "again" })).json()) as { run_id: string };
      const freshEvents = parseSse(await (await get(cli, `/v1/runs/${fresh.run_id}/events`)).text());
      expect(JSON.parse(freshEvents.at(-1)!.data)).toMatchObject({ event: "run.completed", output: "fresh" });

      // Storage, read after the process is gone: each log sealed and whole, no mark left behind.
      cli.child.kill("SIGTERM");
      await cli.exited;
      const stored = await readStoredRun(spec, runId);
      expect(expectSealedLog(stored, [replay]).count).toBe(replay.length);
      expect(stored.record).toMatchObject({ status: "failed", eventCount: replay.length, error: { code: "run_abandoned" } });
      expectSealedLog(await readStoredRun(spec, fired.body.run_id), [fireReplay]);
      expect(stored.unfinished).toEqual([]);
    });
  },
  ["fs", "sqlite"],
);
