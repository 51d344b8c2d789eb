import { expect } from "vitest";
import { logLengthKey } from "../../src/plugin-api/index.ts";
import { keys } from "../../src/state/keys.ts";
import { openStorage } from "../../src/state/open-storage.ts";
import type { RunRecord } from "../../src/state/runs.ts";
import { storageFromSpec } from "../../src/state/select-storage.ts";
import type { SseFrame } from "./sse.ts";

/** A run as its storage holds it, read straight from the storage (not through a proxy). */
export interface StoredRun {
  record: RunRecord | null;
  /** The log's counter as stored: its length, negative once a terminal event sealed it. */
  length: number | null;
  /** What sits at positions 1… up to two past the counter (so an entry written beyond it shows). */
  entries: { position: number; value: { sequence: number; payload: Record<string, unknown> } | null }[];
  /** Marks of unfinished work left for the next start (fs, SQLite). */
  unfinished: string[];
}

/** Opens `spec` (`fs:…`, `sqlite:…`, `redis://…?prefix=…`) in this process and reads run `runId`'s record and log. */
export async function readStoredRun(spec: string, runId: string): Promise<StoredRun> {
  const opened = await openStorage(await storageFromSpec(spec));
  try {
    const { storage } = opened;
    const record = (await storage.getItem<RunRecord>(keys.run(runId))) ?? null;
    const rawLength = await storage.getItem(logLengthKey(keys.runEvents(runId)));
    const length = rawLength === null ? null : Number(rawLength);
    const entries: StoredRun["entries"] = [];
    for (let position = 1; position <= Math.abs(length ?? 0) + 2; position++)
      entries.push({ position, value: (await storage.getItem<StoredRun["entries"][number]["value"]>(keys.runEvent(runId, position))) ?? null });
    const unfinished = [...(await storage.getKeys(keys.unfinishedOf("runs"))), ...(await storage.getKeys(keys.unfinishedOf("responses")))];
    return { record, length, entries, unfinished };
  } finally {
    await opened.close();
  }
}

const terminal = new Set(["run.completed", "run.failed", "run.cancelled"]);

/**
 * The stored log is whole and final: sealed at N, positions 1…N each holding the entry numbered so
 * (nothing overwritten, nothing missing), one terminal event and it is the last, nothing past N; and
 * every frame a client saw is the stored entry with the same id.
 */
export function expectSealedLog(stored: StoredRun, seen: readonly SseFrame[][] = []): { count: number; last: Record<string, unknown> } {
  expect(stored.length).not.toBeNull();
  const count = -(stored.length as number);
  expect(count, "the log is sealed (its counter is negative)").toBeGreaterThan(0);
  const within = stored.entries.slice(0, count);
  expect(within.map((entry) => entry.value?.sequence)).toEqual(within.map((entry) => entry.position));
  expect(within.filter((entry) => terminal.has(String(entry.value?.payload.event))).map((entry) => entry.position)).toEqual([count]);
  expect(
    stored.entries.slice(count).every((entry) => entry.value === null),
    "nothing past the terminal event",
  ).toBe(true);
  for (const frames of seen)
    for (const frame of frames) expect(JSON.parse(frame.data), `frame ${frame.id}`).toEqual(stored.entries[Number(frame.id) - 1]?.value?.payload);
  return { count, last: within.at(-1)!.value!.payload };
}

/** Frame ids are 1…N (after `after`), each once, in order. */
export function expectConsecutiveIds(frames: readonly SseFrame[], after = 0): void {
  expect(frames.map((frame) => Number(frame.id))).toEqual(frames.map((_, index) => after + index + 1));
}
