import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { acquireProcessLock } from "../../../src/utils/process-lock.ts";

/**
 * The lock that keeps an SQLite file or an fs directory to one process. Other processes are covered
 * with real ones in test/integration/faults/single-process-lock.test.ts; here, the lock files a
 * crash leaves behind, written by hand.
 */
describe("acquireProcessLock", () => {
  const root = mkdtempSync(join(tmpdir(), "hermes-lock-"));
  let count = 0;
  const fresh = () => join(root, `${count++}`, ".lock");
  const leave = (path: string, holder: { pid: number; host: string }, ageMs = 0) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify({ ...holder, since: "2026-12-01T00:00:00.000Z" }));
    const at = new Date(Date.now() - ageMs);
    utimesSync(path, at, at);
  };
  const holderOf = (path: string) => JSON.parse(readFileSync(path, "utf8")) as { pid: number; host: string };
  afterEach(() => vi.useRealTimers());
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("holds the file while taken, refuses a second claim from this process, and removes it on release", () => {
    const path = fresh();
    const release = acquireProcessLock(path, "storage-x: here");
    expect(holderOf(path)).toMatchObject({ pid: process.pid, host: hostname() });
    expect(() => acquireProcessLock(path, "storage-x: here")).toThrow(/storage-x: here is in use by another hermes-proxy process \(pid \d+/);
    release();
    release();
    expect(existsSync(path)).toBe(false);
  });

  it("takes over a lock naming this process id that this process does not hold: a container restarted after a crash is pid 1 again", () => {
    const path = fresh();
    leave(path, { pid: process.pid, host: hostname() });
    const release = acquireProcessLock(path, "storage-x: here");
    expect(holderOf(path).pid).toBe(process.pid);
    release();
  });

  it("takes over a lock of this host whose process is gone, and refuses one whose process lives", () => {
    const gone = fresh();
    // Pids are below 2^22 on Linux: this one cannot exist.
    leave(gone, { pid: 2 ** 22 + 7, host: hostname() });
    acquireProcessLock(gone, "storage-x: gone")();

    const living = fresh();
    leave(living, { pid: process.ppid, host: hostname() }, 10 * 60_000);
    expect(() => acquireProcessLock(living, "storage-x: living")).toThrow(`(pid ${process.ppid} on ${hostname()}`);
  });

  it("takes over a lock of another host once it has gone 30 s untouched, and refuses it before", () => {
    const recent = fresh();
    leave(recent, { pid: 1, host: "another-container" }, 5_000);
    expect(() => acquireProcessLock(recent, "storage-x: recent")).toThrow(/pid 1 on another-container.*taken over once it has not been refreshed for 30 s/);

    const stale = fresh();
    leave(stale, { pid: 1, host: "another-container" }, 31_000);
    const release = acquireProcessLock(stale, "storage-x: stale");
    expect(holderOf(stale)).toMatchObject({ pid: process.pid, host: hostname() });
    release();
  });

  it("touches its lock every 10 s while it holds it", () => {
    vi.useFakeTimers({ now: new Date("2026-12-03T12:00:00.000Z"), toFake: ["setInterval", "clearInterval", "Date"] });
    const path = fresh();
    const release = acquireProcessLock(path, "storage-x: here");
    const old = new Date("2026-12-03T11:00:00.000Z");
    utimesSync(path, old, old);
    vi.advanceTimersByTime(10_000);
    expect(statSync(path).mtimeMs).toBe(new Date("2026-12-03T12:00:10.000Z").getTime());
    release();
  });
});
