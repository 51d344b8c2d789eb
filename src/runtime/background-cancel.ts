import { HermesError } from "../protocol/index.ts";
import type { StoredResponse } from "../state/responses.ts";
import { OwnerGoneError } from "./commands.ts";
import type { RuntimeContext } from "./context.ts";

/** Also what another process answers when asked to cancel a response it no longer runs. */
export const notCancellable = () =>
  new HermesError("Only a background response that is still running can be cancelled", { status: 400, code: "not_cancellable" });

/** Cancels a background response running in this process and waits for it to settle; false when it does not run here. */
export async function cancelLocal(context: RuntimeContext, id: string): Promise<boolean> {
  const running = context.background.get(id);
  if (!running) return false;
  if (!running.done) {
    running.controller.abort(new HermesError("The response was cancelled", { status: 499, code: "cancelled" }));
    await new Promise<void>((resolve) => {
      if (running.done) return resolve();
      running.listeners.add((frame) => frame === null && resolve());
    });
  }
  return true;
}

export async function cancelRemote(context: RuntimeContext, record: StoredResponse): Promise<void> {
  const { owner, response } = record;
  const active = response.status === "queued" || response.status === "in_progress";
  if (!active || !owner || owner === context.commands.instanceId || !context.coordination.shared) throw notCancellable();
  try {
    await context.commands.send(owner, { type: "responses.cancel", responseId: response.id });
  } catch (error) {
    if (!(error instanceof OwnerGoneError)) throw error;
    const { owner: _gone, ...rest } = record;
    await context.responses.save({ ...rest, response: { ...response, status: "cancelled" } });
  }
}
