import type { HermesTool } from "../plugin-api/index.ts";

/** What a person decides about one tool call: run it this once, or not. */
export type ApprovalChoice = "once" | "deny";

/** The choices offered with every approval request, in the order UIs should show them. */
export const approvalChoices: readonly ApprovalChoice[] = ["once", "deny"];

/** One tool call waiting for a person. */
export interface ApprovalRequest {
  callId: string;
  name: string;
  /** The arguments JSON as the model wrote it (already validated). */
  arguments: string;
  /** The tool's human description of the call, when it has one. */
  label?: string;
}

/**
 * Asks a person and resolves with their choice. Given only where someone can answer (the Runs API);
 * it rejects when the run is cancelled while waiting.
 */
export type ApprovalHandler = (request: ApprovalRequest) => Promise<ApprovalChoice>;

/** Whether this call of `tool` must be approved first. */
export function needsApproval(tool: HermesTool, args: unknown): boolean {
  const rule = tool.needsApproval;
  if (typeof rule === "function") return rule(args) === true;
  return rule === true;
}
