import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binPath, type RunningCli, runCli, startCli } from "../../helpers/cli.ts";
import { type FakeReply, type FakeUpstream, startFakeUpstream } from "../../helpers/fake-upstream.ts";

/**
 * Secrets never leave the process: the client API key, the upstream key and a password in the
 * upstream URL are grepped for in everything a client receives and everything the real command
 * prints (stdout and stderr, banner to shutdown, and `check`), through a session of requests in
 * every format where the upstream echoes its key back in every field an error can carry.
 */

const API_KEY = "sk-hermes-client-7d1f0c2b9e4a";
const UPSTREAM_KEY = "sk-upstream-secret-5a8e3f61b2c9";
const URL_PASSWORD = "url-password-c0ffee4242";
const secrets = [API_KEY, UPSTREAM_KEY, URL_PASSWORD];

/** Upstream failures that echo the key they were sent, wherever an error body can put it (one group per request). */
const echoes: FakeReply[][] = [
  [{ status: 401, body: { error: { message: `Incorrect API key provided: ${UPSTREAM_KEY}.`, type: "invalid_request_error", code: "invalid_api_key" } } }],
  [
    {
      status: 400,
      body: { error: { message: `Invalid key ${UPSTREAM_KEY}`, type: "invalid_request_error", param: `auth:${UPSTREAM_KEY}`, code: `bad_${UPSTREAM_KEY}` } },
    },
  ],
  [{ status: 404, body: { detail: `No model for ${UPSTREAM_KEY}` } }],
  Array.from({ length: 3 }, (): FakeReply => ({ status: 500, body: `internal error while using ${UPSTREAM_KEY}` })),
  Array.from({ length: 3 }, (): FakeReply => ({
    status: 429,
    body: { error: { message: `Rate limit for key ${UPSTREAM_KEY}` } },
    headers: { "retry-after-ms": "1" },
  })),
  [{ status: 200, body: { error: { message: `Your key ${UPSTREAM_KEY} has been revoked` } }, headers: { "content-type": "application/json" } }],
  [
    {
      sse: [
        'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"}}]}\n\n',
        `data: {"error":{"message":"Stream aborted for key ${UPSTREAM_KEY}","code":"${UPSTREAM_KEY}"}}\n\n`,
      ],
      delayMs: 10,
    },
  ],
];

describe("secrets in logs, errors and check output", () => {
  let upstream: FakeUpstream;
  let cwd: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    cwd = await mkdtemp(join(tmpdir(), "hermes-secrets-"));
    await writeFile(join(cwd, "hermes.config.ts"), "export default { upstream: { retryDelayMs: 5 }, storage: 'memory' };\n");
    const url = new URL(upstream.url);
    url.username = "hermes";
    url.password = URL_PASSWORD;
    env = { HERMES_API_KEY: API_KEY, HERMES_UPSTREAM_URL: url.href, HERMES_UPSTREAM_KEY: UPSTREAM_KEY, HERMES_UPSTREAM_MODEL: "fake-model" };
  });
  afterAll(async () => {
    await upstream.close();
    await rm(cwd, { recursive: true, force: true });
  });

  const expectClean = (where: string, text: string) => {
    for (const secret of secrets) {
      const lines = text.split("\n").filter((line) => line.includes(secret));
      expect(lines, `${where} contains ${secret}`).toEqual([]);
    }
  };

  it("never shows them to clients nor prints them, through a session of failing requests", async () => {
    const cli: RunningCli = await startCli(process.execPath, [binPath, "--port", "0"], { cwd, env });
    let seen = "";
    try {
      const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
        const response = await fetch(`${cli.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json", ...headers },
          ...(body !== undefined && { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(10_000),
        });
        const text = await response.text();
        seen += `${method} ${path} → ${response.status} ${JSON.stringify([...response.headers])}\n${text}\n`;
        return { status: response.status, text };
      };
      const messages = [{ role: "user", content: "hi" }];
      const requests: [string, string, unknown][] = [
        ["POST", "/v1/chat/completions", { model: "m", messages }],
        ["POST", "/v1/chat/completions", { model: "m", messages, stream: true }],
        ["POST", "/v1/responses", { model: "m", input: "hi" }],
        ["POST", "/v1/responses", { model: "m", input: "hi", stream: true }],
      ];
      for (const [method, path, body] of requests) {
        for (const group of echoes) {
          upstream.enqueue(...group);
          await call(method, path, body);
          upstream.reset();
        }
      }
      // Runs: the failure lands in the event log and the status object.
      for (const group of echoes) {
        upstream.enqueue(...group);
        const started = await call("POST", "/v1/runs", { input: "hi" });
        const id = (JSON.parse(started.text) as { run_id: string }).run_id;
        await call("GET", `/v1/runs/${id}/events`);
        await call("GET", `/v1/runs/${id}`);
        upstream.reset();
      }
      // Wrong keys and odd requests: the refusal must not echo what was sent either.
      await call("GET", "/v1/models", undefined, { authorization: `Bearer ${API_KEY}-typo` });
      await call("GET", `/v1/models?api_key=${API_KEY.slice(0, -1)}`, undefined, { authorization: "" });
      await call("GET", "/health/detailed");
      await call("GET", "/v1/capabilities");
      await call("GET", "/v1/models");
    } finally {
      cli.child.kill("SIGTERM");
    }
    const result = await cli.exited;
    expect(result.code).toBe(0);
    // The session did reach the upstream failures it was meant to.
    expect(seen).toContain("upstream_auth_failed");
    expect(seen).toContain("upstream_error");
    expect(seen).toContain("rate_limit_exceeded");
    expect(seen).toContain('"event":"run.failed"');
    expectClean("responses to the client", seen);
    expectClean("stdout", result.stdout);
    expectClean("stderr", result.stderr);
  });

  it("never prints them in check", async () => {
    const result = await runCli(["check"], { cwd, env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("upstream");
    expectClean("check stdout", result.stdout);
    expectClean("check stderr", result.stderr);
  });
});
