import { createStorage, type Storage } from "unstorage";
import memoryDriver from "unstorage/drivers/memory";
import { type HermesTool, type PluginLogger, parseToolArguments, type ToolContext, toolErrorText, toolResultText } from "../../src/plugin-api/index.ts";

/** A logger that keeps its lines, for assertions. */
export interface RecordingLogger extends PluginLogger {
  lines: { level: "debug" | "info" | "warn" | "error"; message: string; details?: Record<string, unknown> }[];
}

/**
 * A context like the one the proxy hands a tool: a live signal, an empty in-memory storage, a
 * recording logger, and fixed ids. Pass what a test needs to differ.
 *
 * @example
 * const context = createToolContext({ sessionId: "session-a" });
 * await myTool.execute({ city: "Paris" }, context);
 */
export function createToolContext(overrides: Partial<ToolContext> = {}): ToolContext & { logger: RecordingLogger } {
  const lines: RecordingLogger["lines"] = [];
  const log = (level: RecordingLogger["lines"][number]["level"]) => (message: string, details?: Record<string, unknown>) =>
    void lines.push({ level, message, ...(details !== undefined && { details }) });
  const logger: RecordingLogger = { lines, debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
  const storage: Storage = overrides.storage ?? createStorage({ driver: memoryDriver() });
  return {
    signal: new AbortController().signal,
    runId: "run_test",
    sessionId: "session_test",
    callId: "call_test",
    ...overrides,
    progress: overrides.progress ?? (() => {}),
    storage,
    logger,
  };
}

/** What the model would read back from one call. */
export interface ToolCallResult {
  output: string;
  isError: boolean;
}

/**
 * Calls a tool exactly as the agent loop does: the arguments (an object, or the JSON string a model
 * wrote) through the tool's schema, then `execute`, then the output text; invalid arguments and
 * throws become error outputs instead of exceptions.
 *
 * @example
 * const { output, isError } = await callTool(calculate, { expression: "2 + 2" });
 * expect(JSON.parse(output).result).toBe(4);
 */
export async function callTool(tool: HermesTool, args: unknown, context: Partial<ToolContext> = {}): Promise<ToolCallResult> {
  const parsed = parseToolArguments(tool, typeof args === "string" ? args : JSON.stringify(args ?? {}));
  if (!parsed.ok) return { output: parsed.message, isError: true };
  try {
    return { output: toolResultText(await tool.execute(parsed.args, createToolContext(context))), isError: false };
  } catch (error) {
    return { output: toolErrorText(tool.name, error), isError: true };
  }
}
