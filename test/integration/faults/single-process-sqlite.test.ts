import { mkdtempSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { binPath, cleanEnv, type RunningCli, runCli, startCli } from "../../helpers/cli.ts";

/**
 * SQLite storage serves one process, and says so: a second proxy on the same file refuses to start
 * with a message naming the first (before, both ran and silently lost turns, ran one Idempotency-Key
 * twice and fired a job twice in one slot); once the first is killed with kill -9, a new one takes
 * the file over.
 */

const root = mkdtempSync(join(tmpdir(), "hermes-sqlite-lock-"));
const file = join(root, "state.db");
const env = { HERMES_STORAGE: `sqlite:${file}` };
const running: RunningCli[] = [];
const start = async () => {
  const cli = await startCli(process.execPath, [binPath, "--port", "0"], { cwd: root, env, envBase: cleanEnv(), timeoutMs: 20_000 });
  running.push(cli);
  return cli;
};

afterAll(async () => {
  for (const cli of running) if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill("SIGKILL");
  await Promise.all(running.map((cli) => cli.exited.catch(() => undefined)));
  await rm(root, { recursive: true, force: true });
});

it("refuses a second process on one SQLite file, and takes the file over after the first is killed", async () => {
  const first = await start();
  const lock = JSON.parse(readFileSync(`${file}.lock`, "utf8")) as { pid: number };
  expect(lock.pid).toBe(first.child.pid);

  const second = await runCli(["--port", "0"], { cwd: root, env, timeoutMs: 20_000 });
  expect(second.code).toBe(1);
  expect(second.stderr).toContain(`is in use by another hermes-proxy process (pid ${first.child.pid}`);
  expect(second.stderr).toContain("Redis");
  // The first is untouched by the attempt.
  expect((await fetch(`${first.url}/health`)).status).toBe(200);

  first.child.kill("SIGKILL");
  await first.exited.catch(() => undefined);
  const third = await start();
  expect((await fetch(`${third.url}/health`)).status).toBe(200);
  expect((JSON.parse(readFileSync(`${file}.lock`, "utf8")) as { pid: number }).pid).toBe(third.child.pid);
});
