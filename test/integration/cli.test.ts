import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpServer } from "node:http";
import type { Server as HttpServer } from "node:http";
import { createServer } from "node:net";
import type { AddressInfo, Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { binPath, repoRoot, runCli, startCli } from "../helpers/cli.ts";
import type { RunningCli } from "../helpers/cli.ts";

const { version } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };

let cwd: string;
const running: RunningCli[] = [];

beforeAll(async () => {
  // An empty directory: the repository's own hermes.config.ts must not leak into these runs.
  cwd = await mkdtemp(join(tmpdir(), "hermes-cli-"));
});

afterEach(() => {
  for (const cli of running.splice(0)) if (cli.child.exitCode === null) cli.child.kill("SIGKILL");
});

afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

async function serve(args: readonly string[], env: Record<string, string> = {}): Promise<RunningCli> {
  const cli = await startCli(process.execPath, [binPath, ...args], { cwd, env });
  running.push(cli);
  return cli;
}

describe("hermes-proxy --version and --help", () => {
  it("prints the package version", async () => {
    const result = await runCli(["--version"], { cwd });
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  it("prints the usage", async () => {
    const result = await runCli(["--help"], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("hermes-proxy [serve] [--port N] [--host H] [--config FILE]");
    expect(result.stdout).toContain("hermes-proxy check [--config FILE]");
  });

  it("refuses an unknown flag with a hint to --help", async () => {
    const result = await runCli(["--prot", "1"], { cwd });
    expect(result).toMatchObject({ code: 1, stdout: "" });
    expect(result.stderr).toBe("hermes-proxy: unknown option --prot; did you mean --port? (see hermes-proxy --help)\n");
  });
});

describe("hermes-proxy check", () => {
  it("prints the resolved config with every secret masked", async () => {
    const serverKey = "hermes-secret-0123456789-WXYZ";
    const upstreamKey = "sk-upstream-secret-0123456789-abcd";
    const result = await runCli(["check", "--port", "9999"], {
      cwd,
      env: { HERMES_API_KEY: serverKey, OPENAI_API_KEY: upstreamKey, OPENAI_BASE_URL: "https://user:hunter2@llm.example/v1" },
    });
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as { server: Record<string, unknown>; upstream: Record<string, unknown> };
    expect(printed.server).toMatchObject({ port: 9999, apiKey: "…WXYZ" });
    expect(printed.upstream).toMatchObject({ apiKey: "sk-…abcd", baseURL: "https://***:***@llm.example/v1" });
    for (const secret of [serverKey, upstreamKey, "hermes-secret", "upstream-secret", "hunter2"]) {
      expect(result.stdout + result.stderr).not.toContain(secret);
    }
  });

  it("validates the repository's example hermes.config.ts", async () => {
    const result = await runCli(["check"], { cwd: repoRoot });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("config file: ./hermes.config.ts");
    expect(result.stderr).toContain(`storage: fs:${repoRoot}.hermes (default)`);
    expect(JSON.parse(result.stdout)).toMatchObject({ upstream: { api: "chat" }, model: { name: "hermes-agent" } });
    expect(JSON.parse(result.stdout).upstream.baseURL).toBeUndefined();
  });

  it("exits 1 naming the bad field of a config file", async () => {
    await writeFile(join(cwd, "bad.config.ts"), "export default { server: { prot: 8642 }, upstream: { api: 'chatt' } };\n");
    const result = await runCli(["check", "--config", "bad.config.ts"], { cwd });
    expect(result).toMatchObject({ code: 1, stdout: "" });
    expect(result.stderr).toBe(
      [
        "hermes-proxy: invalid configuration (config file ./bad.config.ts):",
        '  - server.prot: unknown field; did you mean "server.port"?',
        '  - upstream.api: expected one of "chat", "responses", received "chatt"',
        "",
      ].join("\n"),
    );
  });

  it("exits 1 naming the variable of a malformed number", async () => {
    const result = await runCli(["check"], { cwd, env: { API_SERVER_PORT: "86x2" } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('server.port (from API_SERVER_PORT): expected an integer from 0 to 65535, received "86x2"');
  });

  it("exits 1 when --config names a missing file", async () => {
    const result = await runCli(["check", "--config", "missing.ts"], { cwd });
    expect(result).toMatchObject({ code: 1, stdout: "", stderr: "hermes-proxy: config file not found: ./missing.ts (from --config)\n" });
  });
});

describe("hermes-proxy serve", () => {
  let blocker: Server | undefined;

  afterEach(async () => {
    await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
    blocker = undefined;
  });

  it("exits 1 with one clear line when the port is in use", async () => {
    blocker = createServer();
    const server = blocker;
    const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
    const result = await runCli(["--port", String(port)], { cwd });
    expect(result).toMatchObject({ code: 1, stdout: "", stderr: `hermes-proxy: port ${port} on 127.0.0.1 is already in use\n` });
  });

  it("refuses a network address without an API key", async () => {
    const result = await runCli(["--host", "0.0.0.0", "--port", "0"], { cwd });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^hermes-proxy: refusing to listen on 0\.0\.0\.0 without an API key/);
  });

  it("starts on port 0, answers, and exits 0 on SIGTERM", async () => {
    const cli = await serve(["serve", "--port", "0"]);
    expect(cli.url).toBe(`http://127.0.0.1:${cli.port}`);
    expect(cli.port).toBeGreaterThan(0);
    expect(cli.output().stdout).toContain("upstream: echo (embedded; set OPENAI_API_KEY or HERMES_UPSTREAM_URL for a real model)");

    const health = await fetch(`${cli.url}/health`);
    expect(health.status).toBe(200);

    const completion = await fetch(`${cli.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "hermes-agent", messages: [{ role: "user", content: "ping from the cli test" }] }),
    });
    expect(completion.status).toBe(200);
    expect(JSON.stringify(await completion.json())).toContain("ping from the cli test");

    cli.child.kill("SIGTERM");
    const result = await cli.exited;
    expect(result.code).toBe(0);
  });

  it("requires the API key it was given and never prints it", async () => {
    const key = "cli-test-key-0123456789-abcdef";
    const cli = await serve(["--port", "0"], { HERMES_API_KEY: key });
    expect(cli.output().stdout).toContain("auth:     on");
    expect((await fetch(`${cli.url}/v1/models`)).status).toBe(401);
    expect((await fetch(`${cli.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    cli.child.kill("SIGINT");
    const result = await cli.exited;
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(key);
  });

  describe("with a request in flight", () => {
    let upstream: HttpServer;
    let upstreamURL: string;

    beforeAll(async () => {
      // An upstream that starts a stream and never finishes it.
      upstream = createHttpServer((_request, response) => {
        response.writeHead(200, { "content-type": "text/event-stream" });
        response.write(": thinking\n\n");
      });
      await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
      upstreamURL = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
    });

    afterAll(async () => {
      upstream.closeAllConnections();
      await new Promise<void>((resolve) => upstream.close(() => resolve()));
    });

    async function startWithStuckRequest(shutdownTimeoutMs: number) {
      await writeFile(join(cwd, "stuck.config.ts"), `export default { server: { shutdownTimeoutMs: ${shutdownTimeoutMs} } };\n`);
      const cli = await serve(["--config", "stuck.config.ts", "--port", "0"], { HERMES_UPSTREAM_URL: upstreamURL, HERMES_UPSTREAM_KEY: "unused" });
      expect(cli.output().stdout).toContain(`upstream: chat ${new URL(upstreamURL).origin}`);
      const answer = fetch(`${cli.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", stream: true, messages: [{ role: "user", content: "hi" }] }),
      }).then(
        async (response) => response.text(),
        (error: unknown) => String(error),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      return { cli, answer };
    }

    it("SIGTERM ends it within shutdownTimeoutMs and exits 0", async () => {
      const { cli, answer } = await startWithStuckRequest(400);
      const started = Date.now();
      cli.child.kill("SIGTERM");
      const result = await cli.exited;
      expect(result.code).toBe(0);
      expect(Date.now() - started).toBeLessThan(400 + 2_000);
      expect(await answer).toContain("shutting down");
    });

    it("a second signal exits at once", async () => {
      const { cli } = await startWithStuckRequest(60_000);
      cli.child.kill("SIGTERM");
      await new Promise((resolve) => setTimeout(resolve, 200));
      const started = Date.now();
      cli.child.kill("SIGINT");
      const result = await cli.exited;
      expect(result.code).toBe(130);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(result.stderr).toContain("SIGINT again, exiting now");
    });
  });
});
