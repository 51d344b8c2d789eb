import type { ResponseStore } from "../state/responses.ts";
import type { UnfinishedMarks } from "../state/unfinished.ts";
import { logger } from "../utils/logger.ts";

export const abandonedResponseError = { code: "response_abandoned", message: "The process running this background response stopped before it finished" };

/**
 * At start, on fs or SQLite: background responses a crash left `queued` or `in_progress` (still
 * marked) are stored as `failed` with the error `response_abandoned` — their output was never stored,
 * so `incomplete` (which keeps what was said) would claim more than there is. Polling then ends, and a
 * cancel answers 400 `not_cancellable` like for any finished response. Resolves with how many.
 */
export async function settleUnfinishedResponses(responses: ResponseStore, unfinished: UnfinishedMarks): Promise<number> {
  if (!unfinished.enabled) return 0;
  let settled = 0;
  for (const id of await unfinished.list("responses")) {
    const record = await responses.get(id);
    if (record && (record.response.status === "queued" || record.response.status === "in_progress")) {
      const { owner: _gone, ...rest } = record;
      await responses.save({ ...rest, response: { ...record.response, status: "failed", error: abandonedResponseError } });
      settled++;
    }
    await unfinished.unmark("responses", id);
  }
  if (settled > 0) logger.error(`settled ${settled} background response(s) left unfinished by the previous process as failed (response_abandoned)`);
  return settled;
}
