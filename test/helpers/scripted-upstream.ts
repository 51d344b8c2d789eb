import { type FinishReason, type HermesEvent, type RunInput, type Usage } from "../../src/protocol/index.ts";
import { randomId } from "../../src/utils/index.ts";
import type { Upstream, UpstreamCallOptions } from "../../src/upstream/types.ts";

/**
 * An in-memory `Upstream` that plays one script per call, for the agent loop's unit tests: no HTTP,
 * every call recorded (the input as it was at the time of the call, the options).
 *
 * @example
 * const upstream = scriptedUpstream(callTools([{ name: "clock" }]), answer("It is noon."));
 * for await (const event of runAgent(input, { upstream, ... })) …
 * expect(upstream.calls[1].input.items.at(-1)).toMatchObject({ type: "function_call_output" });
 */

export interface ScriptedCall {
  /** A copy of the input the step was given (the loop keeps growing its own history array). */
  input: RunInput;
  options: UpstreamCallOptions;
}

/** One call's script: the batches of events it yields, made fresh for the call (the loop marks events in place). */
export type ScriptedStep = (call: ScriptedCall) => AsyncIterable<HermesEvent[]>;

export interface ScriptedUpstream extends Upstream {
  readonly calls: ScriptedCall[];
}

/** Plays `steps[n]` for the n-th call; a call past the script fails the test. */
export function scriptedUpstream(...steps: ScriptedStep[]): ScriptedUpstream {
  const calls: ScriptedCall[] = [];
  async function* call(input: RunInput, options: UpstreamCallOptions): AsyncGenerator<HermesEvent[], void, undefined> {
    const recorded: ScriptedCall = { input: structuredClone(input), options };
    calls.push(recorded);
    const step = steps[calls.length - 1];
    if (!step) throw new Error(`scripted upstream: call ${calls.length} was not scripted`);
    yield* step(recorded);
  }
  return asUpstream(calls, call);
}

/**
 * The one place the scripted upstream meets the `Upstream` interface (`stream`, yielding batches):
 * should it change, only this function changes.
 */
function asUpstream(
  calls: ScriptedCall[],
  call: (input: RunInput, options: UpstreamCallOptions) => AsyncGenerator<HermesEvent[], void, undefined>,
): ScriptedUpstream {
  return {
    kind: "scripted",
    calls,
    stream: call,
    close: async () => {},
  };
}

const idOf = (call: ScriptedCall, prefix: string) => (call.options.newId ?? randomId)(prefix);

/** The events of a step, handed over in two batches (the first event alone, then the rest), as a network read would split them. */
export function step(events: (call: ScriptedCall) => HermesEvent[]): ScriptedStep {
  return async function* (call) {
    const all = events(call);
    if (all.length > 0) yield all.slice(0, 1);
    if (all.length > 1) yield all.slice(1);
  };
}

/** A text block, one delta per word. */
export function textEvents(call: ScriptedCall, text: string): HermesEvent[] {
  const itemId = idOf(call, "msg_");
  const pieces = text.split(/(?=\s)/);
  return [
    { type: "message.started", itemId },
    ...pieces.map((delta): HermesEvent => ({ type: "text.delta", itemId, delta })),
    { type: "message.completed", itemId, text },
  ];
}

export interface ScriptedToolCall {
  name: string;
  arguments?: string | Record<string, unknown>;
  id?: string;
}

/** Tool call blocks, each with its arguments in two deltas. */
export function toolCallEvents(call: ScriptedCall, calls: readonly ScriptedToolCall[]): HermesEvent[] {
  return calls.flatMap((tool): HermesEvent[] => {
    const callId = tool.id ?? idOf(call, "call_");
    const itemId = idOf(call, "fc_");
    const args = typeof tool.arguments === "string" ? tool.arguments : JSON.stringify(tool.arguments ?? {});
    const half = Math.ceil(args.length / 2);
    return [
      { type: "tool.call.started", callId, itemId, name: tool.name },
      { type: "tool.call.delta", callId, delta: args.slice(0, half) },
      { type: "tool.call.delta", callId, delta: args.slice(half) },
      { type: "tool.call.completed", callId, itemId, name: tool.name, arguments: args },
    ];
  });
}

const finished = (finishReason: FinishReason, usage?: Usage): HermesEvent =>
  usage === undefined ? { type: "step.completed", finishReason } : { type: "step.completed", finishReason, usage };

/** The model answers with text. */
export function answer(text: string, usage?: Usage, finishReason: FinishReason = "stop"): ScriptedStep {
  return step((call) => [...textEvents(call, text), finished(finishReason, usage)]);
}

/** The model calls tools (after saying `text`, when given). */
export function callTools(calls: readonly ScriptedToolCall[], usage?: Usage, text?: string): ScriptedStep {
  return step((call) => [...(text === undefined ? [] : textEvents(call, text)), ...toolCallEvents(call, calls), finished("tool_calls", usage)]);
}

/** The call fails before its first event, as an HTTP error does. */
export function fails(error: unknown): ScriptedStep {
  // eslint-disable-next-line require-yield
  return async function* () {
    throw error;
  };
}

/**
 * Streams the start of an answer, calls `reached` and waits until the call's signal aborts, then
 * rejects with the signal's reason, as the HTTP upstreams do.
 */
export function hangsAfterText(text: string, reached: () => void = () => {}): ScriptedStep {
  return async function* (call) {
    yield textEvents(call, text).slice(0, 2);
    reached();
    const { signal } = call.options;
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener("abort", () => resolve(), { once: true });
    });
    throw signal.reason;
  };
}
