/**
 * Bounds the agent loop keeps on what plugins produce: a tool's output goes upstream on every later
 * step of the run, so one huge output would be paid for many times over.
 */
export const agentLimits = {
  /** Characters of one tool output sent to the model; the rest is cut with a note saying so. */
  toolOutputChars: 100_000,
  /** Default time limit of one tool call, when neither the tool nor the config sets one. */
  toolTimeoutMs: 60_000,
} as const;

/** A tool output cut to `agentLimits.toolOutputChars`, with a note the model can read. */
export function limitOutput(output: string): string {
  if (output.length <= agentLimits.toolOutputChars) return output;
  const dropped = output.length - agentLimits.toolOutputChars;
  return `${output.slice(0, agentLimits.toolOutputChars)}\n[output truncated: ${dropped} more characters]`;
}
