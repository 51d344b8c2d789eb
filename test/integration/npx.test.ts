import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, repoRoot, startCli } from "../helpers/cli.ts";
import type { RunningCli } from "../helpers/cli.ts";

const run = promisify(execFile);
const { version } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };

/** Installing the packed tarball's dependencies from the registry takes a while on a cold cache. */
const installTimeoutMs = 180_000;

let packDir: string;
let emptyDir: string;
let env: NodeJS.ProcessEnv;
let cli: RunningCli | undefined;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  packDir = await mkdtemp(join(tmpdir(), "hermes-pack-"));
  emptyDir = await mkdtemp(join(tmpdir(), "hermes-npx-"));
  // The user's own npm cache keeps the install fast; everything that configures the proxy is scrubbed.
  const cache = process.env.npm_config_cache ?? (await run("npm", ["config", "get", "cache"], { cwd: repoRoot })).stdout.trim();
  env = cleanEnv({ npm_config_cache: cache, npm_config_yes: "true", npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" });
  // `prepack` builds dist/ with tsconfig.build.json: this also proves the build works.
  await run("npm", ["pack", "--pack-destination", packDir], { cwd: repoRoot, env, maxBuffer: 16 * 1024 * 1024 });
}, installTimeoutMs);

afterAll(async () => {
  // npx runs the proxy a few processes down (npm → sh → node): end the whole group it leads.
  if (cli?.child.pid !== undefined && cli.child.exitCode === null) {
    try {
      process.kill(-cli.child.pid, "SIGTERM");
    } catch {
      // Already gone.
    }
    await Promise.race([cli.exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
    try {
      process.kill(-cli.child.pid, "SIGKILL");
    } catch {
      // Exited cleanly.
    }
  }
  await rm(packDir, { recursive: true, force: true });
  await rm(emptyDir, { recursive: true, force: true });
}, 30_000);

describe("npx hermes-proxy (the packed tarball)", () => {
  it(
    "installs, starts in an empty directory and answers with the echo upstream",
    async () => {
      const tarball = join(packDir, `hermes-proxy-${version}.tgz`);
      expect(existsSync(tarball)).toBe(true);
      const port = await freePort();

      // `file:`: npm 11's npx takes a bare path for a command to run, not a package to install.
      cli = await startCli("npx", ["--yes", `file:${tarball}`, "--port", String(port)], {
        cwd: emptyDir,
        envBase: env,
        detached: true,
        timeoutMs: installTimeoutMs,
      });
      expect(cli.port).toBe(port);
      expect(cli.output().stdout).toContain(`hermes-proxy ${version}`);

      const health = await fetch(`${cli.url}/health`);
      expect(health.status).toBe(200);

      const completion = await fetch(`${cli.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "hermes-agent", messages: [{ role: "user", content: "hello from npx" }] }),
      });
      expect(completion.status).toBe(200);
      const body = (await completion.json()) as { choices: Array<{ message: { content: string } }> };
      expect(body.choices[0]?.message.content).toContain("hello from npx");
    },
    installTimeoutMs + 30_000,
  );
});
