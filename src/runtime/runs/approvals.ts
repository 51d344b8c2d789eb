import type { ApprovalChoice } from "../../agent/approval.ts";
import type { RunsPayload } from "../../wire/runs/index.ts";

/** One tool call waiting for a person: its `approval.request` payload and the agent loop's resolver. */
export interface PendingApproval {
  payload: RunsPayload;
  requestId: string;
  resolve(choice: ApprovalChoice): void;
}

/**
 * A run's pending approvals, oldest first (the original server resolves them FIFO). A request is
 * withdrawn when the run is stopped or the server shuts down while it waits.
 */
export class ApprovalQueue {
  #pending: PendingApproval[] = [];

  /** Queues a request, calls `announce` once it is queued, resolves with the choice; rejects when `signal` aborts. */
  ask(payload: RunsPayload, requestId: string, signal: AbortSignal, announce: () => void): Promise<ApprovalChoice> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = () => {
        this.#pending = this.#pending.filter((pending) => pending !== entry);
        reject(signal.reason);
      };
      const entry: PendingApproval = {
        payload,
        requestId,
        resolve: (choice) => {
          signal.removeEventListener("abort", onAbort);
          resolve(choice);
        },
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#pending.push(entry);
      announce();
    });
  }

  /** Removes and returns the oldest pending request, or all of them. */
  take(all: boolean): PendingApproval[] {
    return all ? this.#pending.splice(0) : this.#pending.splice(0, 1);
  }

  /** What `GET /v1/runs/{id}` shows as `approval` while the run waits. */
  oldestPayload(): RunsPayload | null {
    return this.#pending[0]?.payload ?? null;
  }
}
