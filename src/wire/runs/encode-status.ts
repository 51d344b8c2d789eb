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
  /** A `requires_action` run's client tool calls, as its `run.completed` lists them. */
  toolCalls?: { id: string; name: string; arguments: string }[] | undefined;
}

/**
 * `GET /v1/runs/{id}`, told as its events tell it: an `incomplete` run says why in `incomplete_reason`
 * and a `requires_action` one lists its client tool calls in `tool_calls`, as its `run.completed` does;
 * a stopped or failed run keeps the answer streamed so far in `output`. `error` is the message, a string
 * as on the original server and in `run.failed`, with its code beside it in `error_code`.
 */
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
    error: run.error ? run.error.message : null,
    error_code: run.error ? run.error.code : null,
    ...(run.incompleteReason !== undefined && { incomplete_reason: run.incompleteReason }),
    ...(run.toolCalls !== undefined && run.toolCalls.length > 0 && { tool_calls: run.toolCalls }),
    ...(run.approval && { approval: run.approval }),
  };
}
