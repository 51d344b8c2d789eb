import { createStorage } from "unstorage";
import { describe, expect, it } from "vitest";
import { followLive } from "../../../src/runtime/runs/follow.ts";
import { LiveRun } from "../../../src/runtime/runs/live-run.ts";
import { settleAbandoned } from "../../../src/runtime/runs/settle.ts";
import { createLocalCoordination } from "../../../src/state/local-coordination.ts";
import { createRunStore, type RunLogEntry, type RunRecord, type RunStore } from "../../../src/state/runs.ts";
import type { RunsPayload } from "../../../src/wire/runs/index.ts";

const retentionMs = 60_000;

function rig() {
  const storage = createStorage();
  const store = createRunStore(storage, { coordination: createLocalCoordination(storage), retentionMs, maxEntries: 100 });
  return { storage, store };
}

function newRecord(id: string): RunRecord {
  const seconds = Math.floor(Date.now() / 1000);
  return {
    id,
    status: "running",
    createdAt: seconds,
    updatedAt: seconds,
    sessionId: id,
    model: "m",
    lastEvent: null,
    output: null,
    usage: null,
    error: null,
    approval: null,
    eventCount: 0,
    expiresAt: null,
  };
}

const delta = (id: string, n: number): RunsPayload => ({ event: "message.delta", run_id: id, timestamp: n, delta: `w${n}` }) as RunsPayload;
const completed = (id: string): RunsPayload => ({ event: "run.completed", run_id: id, timestamp: 99, output: "done" }) as RunsPayload;

async function live(store: RunStore, id: string, outageLimitMs = 5_000) {
  const record = newRecord(id);
  await store.save(record);
  return new LiveRun(record, store, { now: Date.now, retentionMs, outageLimitMs });
}

async function drain(iterator: AsyncIterator<RunLogEntry>): Promise<RunLogEntry[]> {
  const entries: RunLogEntry[] = [];
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) entries.push(next.value);
  return entries;
}

describe("a run's log: positions taken atomically, sealed by its terminal event", () => {
  it("an append the storage applied but reported as failed is recognised: no duplicate, no gap, nothing superseded", async () => {
    const { store } = rig();
    let failNext = true;
    // The storage applies the write, then the connection drops before its answer.
    const flaky: RunStore = {
      ...store,
      append: async (id, entries, options) => {
        const result = await store.append(id, entries, options);
        if (failNext) {
          failNext = false;
          throw new Error("connection lost after the write");
        }
        return result;
      },
    };
    const run = await live(flaky, "run_flaky");
    run.emit(delta("run_flaky", 1));
    await new Promise((resolve) => setTimeout(resolve, 5));
    for (let n = 2; n <= 5; n++) run.emit(delta("run_flaky", n));
    run.emit(completed("run_flaky"));
    run.finish("completed");
    run.close();
    await run.flushed();
    expect(run.outcome).toBe("stored");
    expect(run.superseded).toBe(false);
    expect(await store.length("run_flaky")).toEqual({ first: 0, length: 6, sealed: true });
    expect((await store.events("run_flaky", 0, 10)).map((entry) => entry.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await store.get("run_flaky")).toMatchObject({ status: "completed", eventCount: 6 });
  });

  it("followers are given stored events only: while the storage fails they wait, then get every event in order", async () => {
    const { store } = rig();
    let down = true;
    const failing: RunStore = {
      ...store,
      append: async (id, entries, options) => {
        if (down) throw new Error("storage down");
        return store.append(id, entries, options);
      },
    };
    const run = await live(failing, "run_down");
    const follower = followLive(run, 0, store);
    const received = drain(follower);
    for (let n = 1; n <= 3; n++) run.emit(delta("run_down", n));
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(run.stored).toBe(0);
    down = false;
    run.emit(completed("run_down"));
    run.finish("completed");
    run.close();
    expect((await received).map((entry) => entry.sequence)).toEqual([1, 2, 3, 4]);
    expect(run.outcome).toBe("stored");
  });

  it("a settling process and the owner racing: one terminal event, the owner's later writes refused, its followers read the stored log", async () => {
    const { store } = rig();
    const run = await live(store, "run_race");
    const follower = followLive(run, 0, store);
    for (let n = 1; n <= 3; n++) run.emit(delta("run_race", n));
    await expect.poll(() => run.stored).toBe(3);
    // Another process decides the owner is gone and settles the run.
    const settled = await settleAbandoned(store, "run_race", Date.now, retentionMs);
    expect(settled).toMatchObject({ status: "failed", eventCount: 4, error: { code: "run_abandoned" } });
    // The owner carries on: its next event is refused, it stops, and it stores nothing more.
    run.emit(delta("run_race", 4));
    await expect.poll(() => run.superseded).toBe(true);
    expect(run.stop.signal.aborted).toBe(true);
    run.emit(completed("run_race"));
    run.finish("completed");
    run.close();
    await run.flushed();
    expect(run.outcome).toBe("superseded");
    const seen = await drain(follower);
    expect(seen.map((entry) => entry.payload.event)).toEqual(["message.delta", "message.delta", "message.delta", "run.failed"]);
    expect(await store.length("run_race")).toEqual({ first: 0, length: 4, sealed: true });
    expect(await store.get("run_race")).toMatchObject({ status: "failed", error: { code: "run_abandoned" } });
  });

  it("two processes settling one run at once write one terminal event and the same record", async () => {
    const { store } = rig();
    const run = await live(store, "run_twice");
    run.emit(delta("run_twice", 1));
    await expect.poll(() => run.stored).toBe(1);
    const both = await Promise.all([settleAbandoned(store, "run_twice", Date.now, retentionMs), settleAbandoned(store, "run_twice", Date.now, retentionMs)]);
    expect(both.map((record) => record?.eventCount)).toEqual([2, 2]);
    expect(await store.length("run_twice")).toEqual({ first: 0, length: 2, sealed: true });
    expect((await store.events("run_twice", 0, 5)).map((entry) => entry.payload.event)).toEqual(["message.delta", "run.failed"]);
  });

  it("an owner that stored its terminal event but died before its final record: settling takes the status from the log", async () => {
    const { store } = rig();
    await store.save(newRecord("run_late"));
    await store.append("run_late", [{ sequence: 1, payload: { event: "message.delta" } }]);
    await store.append("run_late", [{ sequence: 2, payload: { event: "run.completed", output: "all done" } }], { seal: true });
    const settled = await settleAbandoned(store, "run_late", Date.now, retentionMs);
    expect(settled).toMatchObject({ status: "completed", output: "all done", eventCount: 2, lastEvent: "run.completed", error: null });
    expect(await store.length("run_late")).toEqual({ first: 0, length: 2, sealed: true });
  });

  it("fails the run after outageLimitMs of failing writes, and stores its end once the storage answers", async () => {
    const { store } = rig();
    let down = true;
    const failing: RunStore = {
      ...store,
      append: async (id, entries, options) => {
        if (down) throw new Error("storage down");
        return store.append(id, entries, options);
      },
    };
    const run = await live(failing, "run_limit", 150);
    run.emit(delta("run_limit", 1));
    await expect.poll(() => run.stop.signal.aborted, { timeout: 2_000 }).toBe(true);
    expect(run.stop.signal.reason).toMatchObject({ code: "storage_unavailable" });
    // What the agent loop does on that abort: a terminal run.failed, then the end.
    run.emit({ event: "run.failed", run_id: "run_limit", timestamp: 2, error: "storage", code: "storage_unavailable" } as RunsPayload);
    run.record.error = { message: "storage", code: "storage_unavailable" };
    run.finish("failed");
    run.close();
    down = false;
    await run.flushed();
    expect((await store.events("run_limit", 0, 5)).map((entry) => entry.payload.event)).toEqual(["message.delta", "run.failed"]);
    expect(await store.get("run_limit")).toMatchObject({ status: "failed", eventCount: 2, error: { code: "storage_unavailable" } });
  });
});
