import { mkdtempSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { binPath, cleanEnv, type RunningCli, runCli, startCli } from "../../helpers/cli.ts";

/**
 * SQLite and fs storage serve one process, and say so: a second proxy on the same file or directory
 * refuses to start with a message naming the first (before, both ran and silently lost turns, ran one
 * Idempotency-Key twice and fired a job twice in one slot); once the first is killed with kill -9, a
 * new one takes the storage over. Being the only writer is also what lets the proxy write a session's
 * record without reading it back first (`test/integration/session-writes.test.ts`).
 */

const root = mkdtempSync(join(tmpdir(), "hermes-storage-lock-"));
const running: RunningCli[] = [];

afterAll(async () => {
  for (const cli of running) if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill("SIGKILL");
  await Promise.all(running.map((cli) => cli.exited.catch(() => undefined)));
  await rm(root, { recursive: true, force: true });
});

const storages = [
  { name: "SQLite file", spec: `sqlite:${join(root, "state.db")}`, lock: join(root, "state.db.lock") },
  { name: "fs directory", spec: `fs:${join(root, "data")}`, lock: join(root, "data", ".lock") },
];

describe.each(storages)("one process per $name", ({ spec, lock }) => {
  const env = { HERMES_STORAGE: spec };
  const start = async () => {
    const cli = await startCli(process.execPath, [binPath, "--port", "0"], { cwd: root, env, envBase: cleanEnv(), timeoutMs: 20_000 });
    running.push(cli);
    return cli;
  };
  const holder = () => (JSON.parse(readFileSync(lock, "utf8")) as { pid: number }).pid;

  it("refuses a second process, and takes the storage over after the first is killed", async () => {
    const first = await start();
    expect(holder()).toBe(first.child.pid);

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
    expect(holder()).toBe(third.child.pid);

    // A clean stop releases the lock for the next process.
    third.child.kill("SIGTERM");
    await third.exited;
    expect(() => readFileSync(lock)).toThrow();
  });
});
