import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { Client } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binPath, startCli } from "../helpers/cli.ts";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { startProxy } from "../helpers/proxy.ts";
import { parseSse, readSse, type SseFrame } from "../helpers/sse.ts";

/**
 * SIGTERM to the real command with work in flight: a stream that ends within the wait ends normally,
 * the ones that do not end with their format's terminal error, runs still going are stored as
 * `interrupted`, requests that arrive meanwhile get 503 `server_draining`, and the process exits 0
 * within the wait plus its margin.
 */

const shutdownTimeoutMs = 1_000;
const long = Array.from({ length: 300 }, (_, i) => `w${i}`).join(" ");

describe("SIGTERM with streams and runs in flight", () => {
  let upstream: FakeUpstream;
  let cwd: string;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    cwd = await mkdtemp(join(tmpdir(), "hermes-sigterm-"));
    await writeFile(
      join(cwd, "hermes.config.ts"),
      `export default { server: { shutdownTimeoutMs: ${shutdownTimeoutMs} }, storage: "fs:${join(cwd, "data")}" };\n`,
    );
  });
  afterAll(async () => {
    await upstream.close();
    await rm(cwd, { recursive: true, force: true });
  });

  /** Reads a stream to its end in the background, keeping every frame. */
  const drain = async (response: Response, firstFrames: number) => {
    const frames: SseFrame[] = [];
    const iterator = readSse(response);
    for (let i = 0; i < firstFrames; i++) {
      const next = await iterator.next();
      if (next.done) break;
      frames.push(next.value);
    }
    const rest = (async () => {
      for await (const frame of iterator) frames.push(frame);
      return frames;
    })();
    return rest;
  };

  it("finishes or ends every stream with a terminal event, marks runs interrupted, refuses new work with 503", { timeout: 30_000 }, async () => {
    const cli = await startCli(process.execPath, [binPath, "--port", "0"], {
      cwd,
      env: { HERMES_UPSTREAM_URL: upstream.url, HERMES_UPSTREAM_KEY: "unused", HERMES_UPSTREAM_MODEL: "fake-model" },
    });
    // One keep-alive connection opened before the signal: the listener stops accepting new ones, but
    // a client already connected still sends requests, and those must get a clean 503.
    const kept = new Client(cli.url, { pipelining: 0 });
    try {
      expect((await kept.request({ path: "/health", method: "GET" })).statusCode).toBe(200);

      upstream.script((request) => {
        const text = JSON.stringify(request.body);
        if (text.includes("short")) return { text: "one two three four five", delayMs: 50 };
        return { text: long, delayMs: 30 };
      });
      const post = (path: string, body: unknown) =>
        fetch(`${cli.url}${path}`, { method: "POST", body: JSON.stringify(body), signal: AbortSignal.timeout(20_000) });

      const shortChat = drain(await post("/v1/chat/completions", { model: "m", stream: true, messages: [{ role: "user", content: "short" }] }), 1);
      const longChat = drain(await post("/v1/chat/completions", { model: "m", stream: true, messages: [{ role: "user", content: "long" }] }), 2);
      const longResponse = drain(await post("/v1/responses", { model: "m", stream: true, input: "long" }), 4);
      const runId = ((await (await post("/v1/runs", { input: "long" })).json()) as { run_id: string }).run_id;
      const runEvents = drain(await fetch(`${cli.url}/v1/runs/${runId}/events`), 2);

      const signalledAt = Date.now();
      cli.child.kill("SIGTERM");
      await delay(100);

      const refused = await kept.request({ path: "/v1/models", method: "GET" });
      expect(refused.statusCode).toBe(503);
      expect(refused.headers["retry-after"]).toBe("1");
      expect(((await refused.body.json()) as { error: { code: string } }).error.code).toBe("server_draining");

      const result = await cli.exited;
      const exitedAfter = Date.now() - signalledAt;
      expect(result.code).toBe(0);
      expect(exitedAfter).toBeLessThan(shutdownTimeoutMs + 2_000);

      // Within the wait: a normal end.
      const short = await shortChat;
      expect(short.at(-1)?.data).toBe("[DONE]");
      expect(short.some((frame) => frame.data.includes('"finish_reason":"stop"'))).toBe(true);

      // Past the wait: the format's terminal error, never a stream that just stops.
      const chat = await longChat;
      expect(chat.at(-1)?.data).toBe("[DONE]");
      expect(JSON.parse(chat.at(-2)?.data ?? "{}").error).toMatchObject({ code: "server_shutting_down" });
      expect(chat.some((frame) => frame.data.includes('"finish_reason":"'))).toBe(false);

      const response = await longResponse;
      const last = JSON.parse(response.at(-1)?.data ?? "{}");
      expect(last.type).toBe("response.failed");
      expect(last.response.error.code).toBe("server_shutting_down");
      const responseId = JSON.parse(response[0]!.data).response.id as string;

      const events = (await runEvents).map((frame) => JSON.parse(frame.data) as { event: string; code?: string });
      expect(events.at(-1)).toMatchObject({ event: "run.failed", code: "server_shutting_down" });

      // What the next process finds in storage.
      const next = await startProxy({ storage: `fs:${join(cwd, "data")}` });
      try {
        const run = (await (await fetch(`${next.url}/v1/runs/${runId}`)).json()) as { status: string; error: { code: string } };
        expect(run).toMatchObject({ status: "interrupted", error: expect.any(String), error_code: "server_shutting_down" });
        const replay = parseSse(await (await fetch(`${next.url}/v1/runs/${runId}/events`)).text()).map((frame) => JSON.parse(frame.data).event);
        expect(replay.at(-1)).toBe("run.failed");
        const stored = (await (await fetch(`${next.url}/v1/responses/${responseId}`)).json()) as { status: string };
        expect(["failed", "incomplete"]).toContain(stored.status);
      } finally {
        await next.close();
      }
    } finally {
      upstream.script(undefined);
      await kept.close();
      if (cli.child.exitCode === null) cli.child.kill("SIGKILL");
    }
  });
});
