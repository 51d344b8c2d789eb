import {
  awaitsClient,
  type OpaqueItem,
  addUsage,
  emptyUsage,
  type FinishReason,
  HermesError,
  type HermesEvent,
  type Item,
  type RunCompletedEvent,
  type RunInput,
  type ToolCallCompletedEvent,
  toErrorInfo,
  type Usage,
} from "../protocol/index.ts";
import { type NewId, randomId } from "../utils/index.ts";
import { type RunInfo } from "../plugin-api/index.ts";
import { emptyRegistry, type PluginRegistry } from "../plugins/registry.ts";
import type { Upstream } from "../upstream/types.ts";
import type { ApprovalHandler } from "./approval.ts";
import { dispatchToolCalls } from "./dispatch.ts";
import { RunObserver } from "./hooks.ts";
import { agentLimits } from "./limits.ts";
import { ToolNames } from "./tool-names.ts";
import { sideOf, toolSetFor, toolsForRun } from "./tools.ts";

export interface RunOptions {
  upstream: Upstream;
  runId: string;
  /** The model name reported to the client. */
  model: string;
  /** Unix seconds. */
  createdAt: number;
  /** Client gone, run cancelled or server shutting down: stops the upstream call and running tools at once. */
  signal: AbortSignal;
  maxIterations: number;
  newId?: NewId;
  /** Server tools and hooks from the plugins. @default no plugins */
  registry?: PluginRegistry;
  /** Handed to tools (`context.sessionId`) and hooks. */
  sessionId?: string | undefined;
  /** `X-Hermes-Session-Key`: handed to tools (`context.sessionKey`) and hooks. */
  sessionKey?: string | undefined;
  /** Time limit of a tool call when the tool sets none. @default 60_000 */
  toolTimeoutMs?: number;
  /** Asks a person about tools that need approval; without it (Chat, Responses) such calls are refused. */
  approve?: ApprovalHandler;
  /** The id of the request that started the run: sent upstream as `X-Request-Id`, handed to hooks. */
  requestId?: string | undefined;
  /**
   * Whether the run's consumer needs each step's progress as it comes (a streaming client, a run
   * others follow). `false` lets the upstream answer each step as one JSON body. @default true
   */
  stream?: boolean | undefined;
}

/**
 * A run: the agent loop, its events in batches as the upstream delivered them (one network read's
 * worth), so that the async hand-over between the loop and its consumer is paid per read and not per
 * event. `run.started` comes alone, before the upstream is called; a consumer that reads the run whole
 * (`stream: false`) gets it all as one batch at the end instead. A batch is never empty; the
 * consumer may keep it. The plugins' hooks see every event before its batch goes out, only when some
 * plugin has hooks (a proxy without them pays nothing for them).
 */
export function runAgent(input: RunInput, options: RunOptions): AsyncGenerator<HermesEvent[], void, undefined> {
  const run = runInfo(input, options);
  const hooks = options.registry?.hooks;
  return agentLoop(input, options, run, hooks ? new RunObserver(hooks, run) : undefined);
}

function runInfo(input: RunInput, options: RunOptions): RunInfo {
  const run: RunInfo = { runId: options.runId, sessionId: options.sessionId, model: options.model, input };
  if (options.requestId !== undefined) run.requestId = options.requestId;
  if (options.sessionKey !== undefined) run.sessionKey = options.sessionKey;
  return run;
}

/**
 * The agent loop: calls the upstream with the server tools' schemas beside the client's, runs the
 * server tool calls the model makes and feeds their outputs back, until the model answers, hands
 * client tool calls back (`requires_action`), or `maxIterations` upstream calls are spent
 * (`incomplete`). It speaks only protocol events and knows no wire format. Every run ends in exactly
 * one terminal event, `run.completed` or `run.failed`; nothing is thrown past it.
 */
async function* agentLoop(
  input: RunInput,
  options: RunOptions,
  run: RunInfo,
  observer: RunObserver | undefined,
): AsyncGenerator<HermesEvent[], void, undefined> {
  /** Every batch goes out through this: the hooks see its events first. */
  const see = observer ? (batch: HermesEvent[]) => observer.see(batch) : (batch: HermesEvent[]) => batch;
  /**
   * A consumer that reads the run whole (`stream: false`) gets it as one batch, the run's end with
   * everything before it: each batch is a round trip through this generator and the consumer's
   * `for await`, about ten promises per request for nothing it needs (`chat-json-50`).
   */
  const whole = options.stream === false;
  let held: HermesEvent[] | undefined;
  /** A batch the hooks saw, added to what is held: all of it, in order. */
  const keep = (batch: HermesEvent[]): HermesEvent[] => {
    const seen = see(batch);
    if (held === undefined) held = seen;
    else for (const event of seen) held.push(event);
    return held;
  };
  /** Keeps a batch for the last one when the consumer reads the run whole; false when it goes out now. */
  const hold = (batch: HermesEvent[]): boolean => {
    if (!whole) return false;
    keep(batch);
    return true;
  };
  /** The run's last batch, after what was held. */
  const last = (batch: HermesEvent[]): HermesEvent[] => {
    const all = keep(batch);
    held = undefined;
    return all;
  };
  const started: HermesEvent[] = [{ type: "run.started", runId: options.runId, model: options.model, createdAt: options.createdAt }];
  const refused = observer ? await observer.start() : undefined;
  if (!hold(started)) yield see(started);
  if (refused) {
    yield last([refused]);
    return;
  }
  const registry = options.registry ?? emptyRegistry;
  let usage = emptyUsage();
  try {
    const serverTools = await toolSetFor(registry, options.signal);
    const names = new ToolNames(toolsForRun(serverTools, input.tools, input.hostedTools), input.hostedTools);
    const history: Item[] = [...input.items];
    let toolChoice = input.toolChoice;
    for (let step = 1; step <= options.maxIterations; step++) {
      let finishReason: FinishReason = "stop";
      const serverCalls: ToolCallCompletedEvent[] = [];
      let clientCalls = 0;
      // What the model said this step; joins the history only after the step, since the upstream may
      // still be reading the history it was given while it streams.
      const said: Item[] = [];
      const stepInput: RunInput = { ...input, items: names.toUpstream(history), tools: names.tools };
      if (names.hostedTools !== undefined) stepInput.hostedTools = names.hostedTools;
      if (toolChoice === undefined) delete stepInput.toolChoice;
      else stepInput.toolChoice = toolChoice;
      const callOptions = { signal: options.signal, newId: options.newId ?? randomId, requestId: options.requestId, run, stream: options.stream };
      const { upstream } = options;
      const batches = upstream.stream(stepInput, callOptions);
      /** Notes what the step produced; runs on every event before its batch goes on. */
      const inspect = (event: HermesEvent): void => {
        switch (event.type) {
          case "step.completed":
            finishReason = event.finishReason;
            if (event.usage) usage = addUsage(usage, event.usage);
            break;
          case "tool.call.started":
            event.side = sideOf(serverTools, event.name);
            names.restore(event);
            break;
          case "tool.call.completed":
            event.side = sideOf(serverTools, event.name);
            names.restore(event);
            said.push({
              type: "function_call",
              call_id: event.callId,
              ...(event.namespace !== undefined && { namespace: event.namespace }),
              name: event.name,
              arguments: event.arguments,
            });
            if (event.side === "server") serverCalls.push(event);
            else clientCalls++;
            break;
          case "opaque.started":
            names.restore(event);
            break;
          case "opaque.completed": {
            names.restore(event);
            const item: OpaqueItem = { type: "opaque", id: event.itemId, value: event.value };
            said.push(item);
            // A custom tool call (and the like) is the client's to answer, as a client function call is.
            if (awaitsClient(item)) clientCalls++;
            break;
          }
          case "message.completed":
            said.push({ type: "message", role: "assistant", content: [{ type: "output_text", text: event.text }] });
            break;
          case "reasoning.completed":
            said.push({
              type: "reasoning",
              id: event.itemId,
              text: event.text,
              ...(event.summary !== undefined && { summary: event.summary }),
              ...(event.encryptedContent !== undefined && { encryptedContent: event.encryptedContent }),
            });
            break;
        }
      };
      for await (const batch of batches) {
        for (const event of batch) inspect(event);
        if (!hold(batch)) yield see(batch);
      }
      if (options.signal.aborted) throw abortError(options.signal);
      history.push(...said);

      if (serverCalls.length > 0) {
        // Server calls run even beside client calls: the client gets its calls back with the server's work done.
        const dispatch = dispatchToolCalls(serverCalls, {
          tools: serverTools.tools,
          runId: options.runId,
          sessionId: options.sessionId,
          sessionKey: options.sessionKey,
          signal: options.signal,
          toolTimeoutMs: options.toolTimeoutMs ?? agentLimits.toolTimeoutMs,
          approve: options.approve,
          onToolCall: registry.observers?.onToolCall,
          run,
        });
        let next = await dispatch.next();
        for (; !next.done; next = await dispatch.next()) if (!hold([next.value])) yield see([next.value]);
        history.push(...next.value);
      }
      if (clientCalls > 0 || serverCalls.length === 0) {
        yield last([completion(finishReason, clientCalls > 0, usage)]);
        return;
      }
      // A forced call ("required", or one named tool) was made: forcing it again would loop until
      // maxIterations, so the model chooses freely from here on.
      if (toolChoice !== undefined && toolChoice !== "auto" && toolChoice !== "none") toolChoice = "auto";
    }
    yield last([{ type: "run.completed", status: "incomplete", finishReason: "length", incompleteReason: "max_iterations", usage }]);
  } catch (error) {
    const failure = options.signal.aborted && !HermesError.is(error) ? abortError(options.signal) : error;
    yield last([{ type: "run.failed", error: toErrorInfo(failure), usage }]);
  }
}

function completion(finishReason: FinishReason, handsToolsBack: boolean, usage: Usage): RunCompletedEvent {
  if (handsToolsBack) return { type: "run.completed", status: "requires_action", finishReason: "tool_calls", usage };
  if (finishReason === "length") return { type: "run.completed", status: "incomplete", finishReason, incompleteReason: "max_output_tokens", usage };
  if (finishReason === "content_filter") return { type: "run.completed", status: "incomplete", finishReason, incompleteReason: "content_filter", usage };
  return { type: "run.completed", status: "completed", finishReason, usage };
}

function abortError(signal: AbortSignal): HermesError {
  if (HermesError.is(signal.reason)) return signal.reason;
  return new HermesError("The run was cancelled", { status: 499, type: "invalid_request_error", code: "cancelled" });
}
