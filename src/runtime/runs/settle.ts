import type { RunRecord, RunStore } from "../../state/runs.ts";

/**
 * Ends a run whose process is gone (killed mid-run, its channel silent): a `run.failed` event and a
 * failed record, so its followers end and its status stops saying `running`. Written by whichever
 * process noticed; the event goes after the last one the dead process stored.
 */
export async function settleAbandoned(store: RunStore, record: RunRecord, now: () => number, retentionMs: number): Promise<RunRecord> {
  const message = "The process running this run stopped before it finished";
  const sequence = record.eventCount + 1;
  const timestamp = now() / 1000;
  await store.append(record.id, {
    sequence,
    payload: { event: "run.failed", run_id: record.id, timestamp, error: message, code: "run_abandoned" },
  });
  const settled: RunRecord = {
    ...record,
    status: "failed",
    lastEvent: "run.failed",
    error: { message, code: "run_abandoned" },
    approval: null,
    eventCount: sequence,
    updatedAt: Math.floor(timestamp),
    expiresAt: now() + retentionMs,
  };
  await store.save(settled);
  return settled;
}
