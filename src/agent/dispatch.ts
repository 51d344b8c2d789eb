import {
  type FunctionCallOutputItem,
  type HermesEvent,
  type ToolCallCompletedEvent,
  type ToolCompletedEvent,
  type ToolProgressEvent,
} from "../protocol/index.ts";
import { parseToolArguments, type RunInfo, type ToolCallInfo, toolErrorText, type ToolProgress, toolResultText } from "../plugin-api/index.ts";
import type { RegisteredTool } from "../plugins/registry.ts";
import { type ApprovalHandler, needsApproval } from "./approval.ts";
import { limitOutput } from "./limits.ts";

export interface DispatchOptions {
  tools: ReadonlyMap<string, RegisteredTool>;
  runId: string;
  sessionId: string | undefined;
  sessionKey?: string | undefined;
  /** The run's signal: aborting it aborts every running tool. */
  signal: AbortSignal;
  /** For tools that set no `timeoutMs`. */
  toolTimeoutMs: number;
  /** Asks a person about a tool that needs approval; without one, such a call is refused. */
  approve: ApprovalHandler | undefined;
  /** Told about every call once it is over (metrics, traces); absent when nothing observes. */
  onToolCall?: ((call: ToolCallInfo, run: RunInfo) => void) | undefined;
  /** The run, for `onToolCall`. */
  run?: RunInfo | undefined;
}

/** A call that will run, or that already has its answer (invalid arguments, refused, denied). */
type Prepared = { call: ToolCallCompletedEvent; registered: RegisteredTool } & ({ args: unknown; settled?: undefined } | { settled: string });

/**
 * Runs one step's server tool calls. Arguments are checked with each tool's schema and approvals
 * asked first, in call order; then every call runs at once, `tool.started` for each, `tool.progress`
 * as each reports, `tool.completed` as each finishes. An invalid call, a refusal or a throwing tool is an error output the model reads,
 * and the run goes on. Returns the outputs in call order, ready to go upstream.
 */
export async function* dispatchToolCalls(
  calls: readonly ToolCallCompletedEvent[],
  options: DispatchOptions,
): AsyncGenerator<HermesEvent, FunctionCallOutputItem[], undefined> {
  const prepared: Prepared[] = [];
  for (const call of calls) {
    const registered = options.tools.get(call.name);
    if (!registered) continue;
    prepared.push(await prepare(call, registered, options));
    throwIfAborted(options.signal);
  }

  const outputs: FunctionCallOutputItem[] = [];
  const running = new Map<number, Promise<{ index: number; completed: ToolCompletedEvent }>>();
  // Progress reports wait here until the generator's consumer takes them; `wake` ends the wait for a completion.
  const reported: ToolProgressEvent[] = [];
  let wake: (() => void) | undefined;
  for (const [index, item] of prepared.entries()) {
    const { call, registered } = item;
    const label = item.settled === undefined ? labelOf(registered, item.args) : undefined;
    yield {
      type: "tool.started",
      callId: call.callId,
      name: call.name,
      arguments: call.arguments,
      ...(registered.tool.emoji !== undefined && { emoji: registered.tool.emoji }),
      ...(label !== undefined && { label }),
    };
    const started = Date.now();
    const report = (update: ToolProgress) => {
      reported.push(progressEvent(call, update));
      wake?.();
    };
    const result =
      item.settled === undefined
        ? execute(registered, item.args, call, { ...options, onProgress: report })
        : Promise.resolve({ output: item.settled, isError: true });
    running.set(
      index,
      result.then(({ output, isError }) => {
        const durationMs = Date.now() - started;
        if (options.onToolCall && options.run)
          options.onToolCall({ name: call.name, callId: call.callId, startedAt: started, durationMs, isError }, options.run);
        return {
          index,
          completed: { type: "tool.completed", callId: call.callId, name: call.name, output: limitOutput(output), isError, durationMs },
        };
      }),
    );
  }

  const byIndex: ToolCompletedEvent[] = [];
  while (running.size > 0) {
    const progressed = new Promise<undefined>((resolve) => (wake = () => resolve(undefined)));
    const next = await Promise.race([...running.values(), progressed]);
    wake = undefined;
    for (const event of reported.splice(0)) yield event;
    if (next === undefined) continue;
    const { index, completed } = next;
    running.delete(index);
    throwIfAborted(options.signal);
    byIndex[index] = completed;
    yield completed;
  }
  for (const completed of byIndex) outputs.push({ type: "function_call_output", call_id: completed.callId, output: completed.output });
  return outputs;
}

async function prepare(call: ToolCallCompletedEvent, registered: RegisteredTool, options: DispatchOptions): Promise<Prepared> {
  const parsed = parseToolArguments(registered.tool, call.arguments);
  if (!parsed.ok) return { call, registered, settled: parsed.message };
  let asks: boolean;
  try {
    asks = needsApproval(registered.tool, parsed.args);
  } catch (error) {
    return { call, registered, settled: toolErrorText(call.name, error) };
  }
  if (!asks) return { call, registered, args: parsed.args };
  if (!options.approve)
    return {
      call,
      registered,
      settled: `${call.name} was not run: it needs a person's approval, and this API cannot ask for it. Tell the user to run this request through the Runs API (POST /v1/runs) to approve it.`,
    };
  const label = labelOf(registered, parsed.args);
  const choice = await options.approve({ callId: call.callId, name: call.name, arguments: call.arguments, ...(label !== undefined && { label }) });
  if (choice === "deny") return { call, registered, settled: `${call.name} was not run: the user denied approval.` };
  return { call, registered, args: parsed.args };
}

/** What one call needs beside the tool: the run it belongs to, and where its progress reports go. */
export interface ExecuteOptions {
  runId: string;
  sessionId: string | undefined;
  /** `X-Hermes-Session-Key`, handed to the tool as `context.sessionKey`. */
  sessionKey?: string | undefined;
  signal: AbortSignal;
  toolTimeoutMs: number;
  onProgress: (update: ToolProgress) => void;
}

/**
 * One call with its own time limit. Never rejects: a throw, a timeout or the run's abort all become
 * an error output (the loop checks the run's signal itself). Progress reported after the call is
 * over is dropped. Also how the proxy's MCP endpoint runs a tool for an MCP client.
 */
export async function execute(
  registered: RegisteredTool,
  args: unknown,
  call: Pick<ToolCallCompletedEvent, "callId" | "name">,
  options: ExecuteOptions,
): Promise<{ output: string; isError: boolean }> {
  const { tool, storage, logger } = registered;
  const timeoutMs = tool.timeoutMs ?? options.toolTimeoutMs;
  const controller = new AbortController();
  const timedOut = new Error(`timed out after ${timeoutMs} ms`);
  const onRunAbort = () => controller.abort(options.signal.reason);
  options.signal.addEventListener("abort", onRunAbort, { once: true });
  const timer = setTimeout(() => controller.abort(timedOut), timeoutMs);
  const stopped = new Promise<never>((_, reject) => {
    controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true });
  });
  stopped.catch(() => {});
  try {
    const progress = (update: ToolProgress) => {
      if (!controller.signal.aborted && Number.isFinite(update?.progress)) options.onProgress(update);
    };
    const context = {
      signal: controller.signal,
      storage,
      logger,
      runId: options.runId,
      sessionId: options.sessionId,
      ...(options.sessionKey !== undefined && { sessionKey: options.sessionKey }),
      callId: call.callId,
      progress,
    };
    const result = await Promise.race([Promise.resolve().then(() => tool.execute(args, context)), stopped]);
    return { output: toolResultText(result), isError: false };
  } catch (error) {
    if (!options.signal.aborted && error !== timedOut) logger.warn(`${call.name} failed`, { error: error instanceof Error ? error.message : String(error) });
    return { output: toolErrorText(call.name, error === timedOut ? timedOut : error), isError: true };
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener("abort", onRunAbort);
    if (!controller.signal.aborted) controller.abort(new Error("the tool call is over"));
  }
}

function progressEvent(call: ToolCallCompletedEvent, update: ToolProgress): ToolProgressEvent {
  const event: ToolProgressEvent = { type: "tool.progress", callId: call.callId, name: call.name, progress: update.progress };
  if (typeof update.total === "number" && Number.isFinite(update.total)) event.total = update.total;
  if (typeof update.message === "string" && update.message !== "") event.message = update.message;
  return event;
}

function labelOf(registered: RegisteredTool, args: unknown): string | undefined {
  if (!registered.tool.label) return undefined;
  try {
    const label = registered.tool.label(args);
    return typeof label === "string" && label !== "" ? label : undefined;
  } catch {
    return undefined;
  }
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason ?? new Error("aborted");
}
