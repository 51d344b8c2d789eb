import { answerOf, type RunResult } from "../../protocol/index.ts";

/**
 * The original server's result headers on a chat answer that is not whole (non-streaming; a stream's
 * status line went out before the run ended): `X-Hermes-Completed: false`, `X-Hermes-Partial` (whether
 * some answer text came before the end), `X-Hermes-Error` (why, at most 200 characters of ASCII). Over
 * an answer cut short (`finish_reason: "length"`, `agent.maxIterations`), which is still a 200; and
 * over a failed run's error answer. A whole answer, client tool calls included, has none.
 */
export function chatResultHeaders(result: RunResult): Record<string, string> | undefined {
  if (result.status === "incomplete")
    return {
      "x-hermes-completed": "false",
      "x-hermes-partial": "true",
      "x-hermes-error": headerText(`The answer was cut short (${result.incompleteReason ?? "max_output_tokens"})`),
    };
  if (result.status !== "failed" && result.status !== "in_progress") return undefined;
  return {
    "x-hermes-completed": "false",
    "x-hermes-partial": String(answerOf(result.output) !== ""),
    "x-hermes-error": headerText(result.error?.message ?? "The run ended without an answer"),
  };
}

/** A header value: printable ASCII only (anything else would be refused or mangled), at most 200 characters. */
function headerText(text: string): string {
  const ascii = text.replace(/[^\x21-\x7e]+/g, " ").trim();
  return ascii.length > 200 ? `${ascii.slice(0, 197)}...` : ascii;
}
