import type { HermesErrorInfo } from "../../protocol/index.ts";
import { isFinished, type RunLogEntry, type RunRecord, type RunState, type RunStore } from "../../state/runs.ts";

export const abandonedMessage = "The process running this run stopped before it finished";

/** Seals tried before giving up (each lost only to the owner appending in between: it is still writing). */
const maxAttempts = 20;

/**
 * Ends a run whose process is gone (killed, or cut off from the storage past its lease): seals its log
 * with a `run.failed` (`run_abandoned`) at the next position of the log's own counter — never at a
 * count read earlier, so it cannot land on an event — unless a terminal event sealed it already, then
 * makes the record say what the log ends with. Safe from several processes at once: one seal wins and
 * each writes the same record; a record already finished is left alone. Resolves with the stored
 * record, null when the run is unknown.
 * @throws when the log keeps moving (its owner is still appending): the next sweep tries again.
 */
export async function settleAbandoned(store: RunStore, id: string, now: () => number, retentionMs: number): Promise<RunRecord | null> {
  let last: RunLogEntry | undefined;
  for (let attempt = 0; attempt < maxAttempts && !last; attempt++) {
    const { length, sealed } = await store.length(id);
    if (sealed) {
      last = (await store.events(id, length - 1, length))[0] ?? { sequence: length, payload: abandonedPayload(id, now()) };
      break;
    }
    const entry: RunLogEntry = { sequence: length + 1, payload: abandonedPayload(id, now()) };
    if ((await store.append(id, [entry], { seal: true })).first === entry.sequence) last = entry;
  }
  if (!last) throw new Error(`run ${id}: its log kept growing while it was being settled`);
  const { status, error, output } = outcomeOf(last.payload);
  const settledAt = now();
  const ending = last;
  return store.update(id, settledAt + retentionMs, (current) => {
    if (!current || isFinished(current.status)) return undefined;
    return {
      ...current,
      status,
      error,
      output: output ?? current.output,
      ...(status === "requires_action" && Array.isArray(ending.payload.tool_calls) && { toolCalls: ending.payload.tool_calls as RunRecord["toolCalls"] }),
      lastEvent: typeof ending.payload.event === "string" ? ending.payload.event : "run.failed",
      approval: null,
      eventCount: ending.sequence,
      updatedAt: Math.floor(settledAt / 1000),
      expiresAt: settledAt + retentionMs,
    };
  });
}

function abandonedPayload(id: string, at: number): Record<string, unknown> {
  return { event: "run.failed", run_id: id, timestamp: at / 1000, error: abandonedMessage, code: "run_abandoned" };
}

/** The status a log's terminal event stands for, as the owner would have recorded it. */
function outcomeOf(payload: Record<string, unknown>): { status: RunState; error: Pick<HermesErrorInfo, "message" | "code"> | null; output: string | null } {
  if (payload.event === "run.completed") {
    // The event's own status when it has one (`incomplete`, `requires_action`), as the owner records it.
    const status = payload.status === "incomplete" || payload.status === "requires_action" ? payload.status : "completed";
    return { status, error: null, output: typeof payload.output === "string" ? payload.output : null };
  }
  if (payload.event === "run.cancelled") return { status: "cancelled", error: null, output: null };
  const code = typeof payload.code === "string" ? payload.code : "run_abandoned";
  const message = typeof payload.error === "string" ? payload.error : abandonedMessage;
  return { status: code === "server_shutting_down" ? "interrupted" : "failed", error: { message, code }, output: null };
}
