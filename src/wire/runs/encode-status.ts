import type { HermesErrorInfo, Usage } from "../../protocol/index.ts";
import { runsUsage } from "./encode-events.ts";

/** What a status object is built from: the run's record, whatever stores it (storage keeps its own `RunRecord`, of this shape). */
export interface RunSnapshot {
  id: string;
  /** The run's state, as storage records it (`queued`, `running`, …, `incomplete`, `interrupted`). */
  status: string;
  /** Unix seconds. */
  createdAt: number;
  updatedAt: number;
  sessionId: string;
  model: string;
  lastEvent: string | null;
  output: string | null;
  usage: Usage | null;
  error: Pick<HermesErrorInfo, "message" | "code"> | null;
  /** Why an `incomplete` run was cut short (`max_output_tokens`, `content_filter`, `max_iterations`). */
  incompleteReason?: string | undefined;
  /** The oldest pending `approval.request` payload while the run waits for one. */
  approval: Record<string, unknown> | null;
}

/** `GET /v1/runs/{id}`; an `incomplete` run says why in `incomplete_reason`, as its `run.completed` event does. */
export function encodeRunStatus(run: RunSnapshot) {
  return {
    object: "hermes.run" as const,
    run_id: run.id,
    status: run.status,
    created_at: run.createdAt,
    updated_at: run.updatedAt,
    session_id: run.sessionId,
    model: run.model,
    last_event: run.lastEvent,
    output: run.output,
    usage: run.usage ? runsUsage(run.usage) : null,
    error: run.error ? { message: run.error.message, code: run.error.code } : null,
    ...(run.incompleteReason !== undefined && { incomplete_reason: run.incompleteReason }),
    ...(run.approval && { approval: run.approval }),
  };
}

