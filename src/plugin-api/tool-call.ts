import { HermesError } from "../protocol/errors.ts";
import type { HermesTool, ToolResult } from "./plugin.ts";

/**
 * How one tool call is read and answered, shared by the agent loop and `hermes-proxy/sdk/testing` so
 * that a third party's tests see exactly what the model will see.
 */

export type ParsedArguments = { ok: true; args: unknown } | { ok: false; message: string };

/**
 * The model's arguments JSON through the tool's zod schema. Empty arguments count as `{}` (some
 * models send "" for a tool without parameters). A failure is a message written for the model, so
 * that it can correct the call on its next step.
 */
export function parseToolArguments(tool: Pick<HermesTool, "name" | "parameters">, json: string): ParsedArguments {
  let value: unknown = {};
  if (json.trim() !== "") {
    try {
      value = JSON.parse(json);
    } catch {
      return { ok: false, message: `Invalid arguments for ${tool.name}: not valid JSON. Send a JSON object matching the tool's parameters.` };
    }
  }
  const parsed = tool.parameters.safeParse(value);
  if (parsed.success) return { ok: true, args: parsed.data };
  const problems = parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(arguments)"}: ${issue.message}`);
  return { ok: false, message: `Invalid arguments for ${tool.name}: ${problems.join("; ")}` };
}

/** A tool's return value as the text the model reads: strings as they are, anything else as JSON. */
export function toolResultText(result: ToolResult): string {
  if (typeof result === "string") return result;
  if (result === undefined) return "(no output)";
  const text = JSON.stringify(result);
  if (text === undefined) throw new HermesError("The tool returned a value that is not JSON", { status: 500, code: "tool_result_invalid" });
  return text;
}

/** What a thrown value tells the model: its message, never a stack. */
export function toolErrorText(toolName: string, error: unknown): string {
  const message = error instanceof Error ? error.message : typeof error === "string" ? error : "unknown error";
  return `Error from ${toolName}: ${message || "unknown error"}`;
}
