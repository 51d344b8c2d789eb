import { randomId } from "../../utils/index.ts";
import type { HermesEvent } from "../../protocol/index.ts";
import type { NewId } from "../../utils/index.ts";
import { upstreamError } from "../http-errors.ts";
import type { StreamDecoder } from "../sse.ts";
import { mapTerminal } from "./finish-reason.ts";
import type { ResponsesOutputItem, ResponsesResponse, ResponsesStreamEvent } from "./schema.ts";
import { mapResponsesUsage } from "./usage.ts";

interface MessageBlock {
  kind: "message";
  itemId: string;
  text: string;
  open: boolean;
}

interface ReasoningBlock {
  kind: "reasoning";
  itemId: string;
  text: string;
  open: boolean;
  /** Summary or reasoning text, whichever came first; a server sending both would double the text. */
  source: "summary" | "text" | undefined;
  /** The summary (or content) part the last delta belonged to. */
  part: number;
}

interface CallBlock {
  kind: "call";
  itemId: string;
  callId: string;
  name: string;
  arguments: string;
  open: boolean;
  /** `tool.call.started` has gone out; before that, arguments are held back. */
  started: boolean;
}

type Block = MessageBlock | ReasoningBlock | CallBlock;

/** Where a delta points: the upstream's item id and output index (either may be missing or unreliable). */
interface ItemRef {
  item_id?: unknown;
  output_index?: unknown;
}

/**
 * Events whose content the decoder never reads: lifecycle noise, and the `.done` twins of deltas whose
 * totals come again on `response.output_item.done`. `pushEvent` skips even parsing them when the SSE
 * `event:` line names them: `response.created` alone repeats the whole request's tools.
 */
export const ignoredEventTypes: ReadonlySet<string> = new Set([
  "response.created",
  "response.in_progress",
  "response.queued",
  "response.content_part.added",
  "response.content_part.done",
  "response.output_text.done",
  "response.output_text.annotation.added",
  "response.refusal.done",
  "response.reasoning_summary_part.added",
  "response.reasoning_summary_part.done",
  "response.reasoning_summary_text.done",
  "response.reasoning_text.done",
]);

/** Reasoning summaries come as separate paragraphs (often each with a bold title); glued, they run together. */
const partSeparator = "\n\n";

/**
 * Turns Responses API stream events into protocol events: `pushEvent` each SSE event (or `push` an
 * event already parsed), then `end` once the stream is over. Pure and synchronous; events are appended to a caller-owned array so that the
 * hot path allocates nothing but the events themselves.
 *
 * Output items are tracked by the upstream's item id, else its `output_index`, and get our own ids
 * (`msg_`, `rs_`, `fc_`); tool calls keep the upstream's `call_id`. Items may overlap: every block
 * has its own id. Servers that skip events are met halfway: a delta for an item never announced
 * starts one, an item seen only at `response.output_item.done` (or only in the final response) is
 * replayed whole, and a total that runs ahead of the deltas is sent as one more delta. The terminal
 * event closes whatever is still open and gives the one `step.completed`; a stream without one fails.
 * Events are shape-checked by hand, not with zod: this runs once per token.
 *
 * @example
 * const decoder = new ResponsesStreamDecoder(randomId);
 * const events: HermesEvent[] = [];
 * for (const event of parsedEvents) decoder.push(event, events);
 * decoder.end(); // throws when the stream never reached response.completed / .incomplete
 */
export class ResponsesStreamDecoder implements StreamDecoder {
  private readonly newId: NewId;
  private readonly blocks: Block[] = [];
  private readonly byId = new Map<string, Block>();
  private readonly byIndex = new Map<number, Block>();
  private calls = 0;
  private terminal = false;

  constructor(newId: NewId = randomId) {
    this.newId = newId;
  }

  /** Whether the terminal event has arrived: the answer is whole even if the stream breaks after it. */
  get finished(): boolean {
    return this.terminal;
  }

  /** The terminal event has come (`finished`): nothing after it is read. */
  get done(): boolean {
    return this.terminal;
  }

  /** One SSE event: its `event` name and its JSON `data`. */
  pushEvent(name: string | undefined, data: string, out: HermesEvent[]): void {
    // Named events we never read are not even parsed; `response.created` repeats every tool schema.
    if (name !== undefined && ignoredEventTypes.has(name)) return;
    // The API sends no `[DONE]`, but OpenAI-compatible servers that reuse their chat framing do.
    if (data === "[DONE]") return;
    let event: unknown;
    try {
      event = JSON.parse(data);
    } catch (error) {
      throw upstreamError("The upstream sent a stream event that is not JSON", error);
    }
    this.push(event, out);
  }

  push(event: unknown, out: HermesEvent[]): void {
    if (typeof event !== "object" || event === null) throw upstreamError("The upstream sent a malformed stream event");
    if (this.terminal) return;
    const e = event as ResponsesStreamEvent;
    const delta = e.delta;
    // Hot cases first: a switch compares in order.
    switch (e.type) {
      case "response.output_text.delta":
      // The protocol has no refusal block; shown as text, a refusal at least reaches the user.
      case "response.refusal.delta":
        if (typeof delta === "string" && delta !== "") this.textDelta(e, delta, out);
        return;
      case "response.function_call_arguments.delta":
        if (typeof delta === "string" && delta !== "") this.argumentsDelta(e, delta, out);
        return;
      case "response.reasoning_summary_text.delta":
        if (typeof delta === "string" && delta !== "") this.reasoningDelta(e, "summary", e.summary_index, delta, out);
        return;
      case "response.reasoning_text.delta":
        if (typeof delta === "string" && delta !== "") this.reasoningDelta(e, "text", e.content_index, delta, out);
        return;
      case "response.output_item.added":
        if (isItem(e.item)) this.itemAdded(e.output_index, e.item, out);
        return;
      case "response.output_item.done":
        if (isItem(e.item)) this.itemDone(e.output_index, e.item, out);
        return;
      case "response.function_call_arguments.done":
        this.argumentsDone(e, out);
        return;
      case "response.completed":
      case "response.incomplete":
      case "response.failed":
        this.finish(e.type, isObject(e.response) ? e.response : {}, out);
        return;
      case "error":
        throw upstreamError(`The upstream failed mid-stream${errorDetail(e)}`);
      default:
        return;
    }
  }

  /**
   * Throws when the stream ended without a terminal event: a cut stream must not pass for a short
   * answer. Adds nothing to `out`: the terminal event closed every block and gave `step.completed`.
   */
  end(_out?: HermesEvent[]): void {
    if (!this.terminal) throw upstreamError("The upstream stream ended before the response completed");
  }

  private textDelta(ref: ItemRef, delta: string, out: HermesEvent[]): void {
    let block = this.find(ref);
    if (block === undefined || block.kind !== "message") block = this.startMessage(ref.output_index, nonEmpty(ref.item_id), out);
    else if (!block.open) throw upstreamError("The upstream sent text for a message it had finished");
    block.text += delta;
    out.push({ type: "text.delta", itemId: block.itemId, delta });
  }

  private reasoningDelta(ref: ItemRef, source: "summary" | "text", part: unknown, delta: string, out: HermesEvent[]): void {
    let block = this.find(ref);
    if (block === undefined || block.kind !== "reasoning") block = this.startReasoning(ref.output_index, nonEmpty(ref.item_id), out);
    else if (!block.open) throw upstreamError("The upstream sent reasoning for an item it had finished");
    if (block.source === undefined) block.source = source;
    else if (block.source !== source) return;
    const index = typeof part === "number" ? part : 0;
    if (index !== block.part) {
      block.part = index;
      if (block.text !== "") delta = partSeparator + delta;
    }
    block.text += delta;
    out.push({ type: "reasoning.delta", itemId: block.itemId, delta });
  }

  private argumentsDelta(ref: ItemRef, delta: string, out: HermesEvent[]): void {
    const call = this.find(ref);
    if (call === undefined || call.kind !== "call") throw upstreamError("The upstream sent arguments for a tool call it never announced");
    if (!call.open) throw upstreamError("The upstream sent arguments for a tool call it had finished");
    call.arguments += delta;
    if (call.started) out.push({ type: "tool.call.delta", callId: call.callId, delta });
  }

  /** The whole arguments (and, on some servers, the name): a catch-up point for what the deltas missed. */
  private argumentsDone(event: ResponsesStreamEvent, out: HermesEvent[]): void {
    const call = this.find(event);
    if (call === undefined || call.kind !== "call" || !call.open) return;
    this.catchUpArguments(call, event.arguments, out);
    if (!call.started) {
      call.name = nonEmpty(event.name) ?? "";
      if (call.name !== "") this.announce(call, out);
    }
  }

  private itemAdded(index: unknown, item: ResponsesOutputItem, out: HermesEvent[]): Block | undefined {
    const id = nonEmpty(item.id);
    switch (item.type) {
      case "message":
        return this.startMessage(index, id, out);
      case "reasoning":
        return this.startReasoning(index, id, out);
      case "function_call":
        return this.startCall(index, id, item, out);
      default:
        // Built-in tool items (web search, code interpreter…): we never offer those tools.
        return undefined;
    }
  }

  private itemDone(index: unknown, item: ResponsesOutputItem, out: HermesEvent[]): void {
    const kind = blockKind(item.type);
    if (kind === undefined) return;
    let block = this.find({ item_id: item.id, output_index: index });
    if (block !== undefined && block.kind === kind && !block.open) return;
    // Never announced (a server that sends finished items only): start it now, then finish it.
    if (block === undefined || block.kind !== kind) block = this.itemAdded(index, item, out)!;
    switch (block.kind) {
      case "message": {
        const rest = catchUp(block, messageText(item));
        if (rest !== undefined) out.push({ type: "text.delta", itemId: block.itemId, delta: rest });
        break;
      }
      case "reasoning": {
        const rest = catchUp(block, reasoningText(item, block.source));
        if (rest !== undefined) out.push({ type: "reasoning.delta", itemId: block.itemId, delta: rest });
        break;
      }
      case "call":
        this.catchUpArguments(block, item.arguments, out);
        if (!block.started) block.name = nonEmpty(item.name) ?? "";
        break;
    }
    this.close(block, out);
  }

  private finish(type: string, response: ResponsesResponse, out: HermesEvent[]): void {
    // A server that streams no item events still lists the items in the final response.
    const output = response.output;
    if (this.blocks.length === 0 && Array.isArray(output)) {
      for (let index = 0; index < output.length; index++) {
        const item = output[index];
        if (isItem(item)) this.itemDone(index, item, out);
      }
    }
    const finishReason = mapTerminal(type, response, this.calls > 0);
    for (const block of this.blocks) if (block.open) this.close(block, out);
    this.terminal = true;
    const usage = response.usage;
    out.push(isObject(usage) ? { type: "step.completed", finishReason, usage: mapResponsesUsage(usage) } : { type: "step.completed", finishReason });
  }

  private startMessage(index: unknown, id: string | undefined, out: HermesEvent[]): MessageBlock {
    const block: MessageBlock = { kind: "message", itemId: this.newId("msg_"), text: "", open: true };
    this.register(block, index, id);
    out.push({ type: "message.started", itemId: block.itemId });
    return block;
  }

  private startReasoning(index: unknown, id: string | undefined, out: HermesEvent[]): ReasoningBlock {
    const block: ReasoningBlock = { kind: "reasoning", itemId: this.newId("rs_"), text: "", open: true, source: undefined, part: 0 };
    this.register(block, index, id);
    out.push({ type: "reasoning.started", itemId: block.itemId });
    return block;
  }

  private startCall(index: unknown, id: string | undefined, item: ResponsesOutputItem, out: HermesEvent[]): CallBlock {
    this.calls++;
    const callId = nonEmpty(item.call_id) ?? this.newId("call_");
    const call: CallBlock = { kind: "call", itemId: this.newId("fc_"), callId, name: nonEmpty(item.name) ?? "", arguments: "", open: true, started: false };
    this.register(call, index, id);
    if (call.name !== "") this.announce(call, out);
    return call;
  }

  /** Sends `tool.call.started`, and as its first delta any arguments that came before the name. */
  private announce(call: CallBlock, out: HermesEvent[]): void {
    call.started = true;
    out.push({ type: "tool.call.started", callId: call.callId, itemId: call.itemId, name: call.name });
    if (call.arguments !== "") out.push({ type: "tool.call.delta", callId: call.callId, delta: call.arguments });
  }

  /** The later of two items at one index wins it: some servers repeat `output_index: 0` for every item. */
  private register(block: Block, index: unknown, id: string | undefined): void {
    this.blocks.push(block);
    if (id !== undefined) this.byId.set(id, block);
    if (typeof index === "number") this.byIndex.set(index, block);
  }

  private find(ref: ItemRef): Block | undefined {
    const id = ref.item_id;
    if (typeof id === "string") {
      const block = this.byId.get(id);
      if (block !== undefined) return block;
    }
    const index = ref.output_index;
    return typeof index === "number" ? this.byIndex.get(index) : undefined;
  }

  private catchUpArguments(call: CallBlock, total: unknown, out: HermesEvent[]): void {
    if (typeof total !== "string" || total.length <= call.arguments.length || !total.startsWith(call.arguments)) return;
    const rest = total.slice(call.arguments.length);
    call.arguments = total;
    if (call.started) out.push({ type: "tool.call.delta", callId: call.callId, delta: rest });
  }

  private close(block: Block, out: HermesEvent[]): void {
    block.open = false;
    switch (block.kind) {
      case "message":
        out.push({ type: "message.completed", itemId: block.itemId, text: block.text });
        return;
      case "reasoning":
        out.push({ type: "reasoning.completed", itemId: block.itemId, text: block.text });
        return;
      case "call":
        if (!block.started) {
          if (block.name === "") throw upstreamError("The upstream sent a tool call without a name");
          this.announce(block, out);
        }
        // A call without arguments is a call with no arguments; "" would fail every JSON.parse downstream.
        if (block.arguments === "") {
          block.arguments = "{}";
          out.push({ type: "tool.call.delta", callId: block.callId, delta: "{}" });
        }
        out.push({ type: "tool.call.completed", callId: block.callId, itemId: block.itemId, name: block.name, arguments: block.arguments });
        return;
    }
  }
}

/**
 * When an item's total extends what was streamed, takes the total and returns the part the deltas
 * missed. A total that disagrees with the deltas is ignored: the client has already seen them.
 */
function catchUp(block: MessageBlock | ReasoningBlock, total: string | undefined): string | undefined {
  if (total === undefined || total.length <= block.text.length || !total.startsWith(block.text)) return undefined;
  const rest = total.slice(block.text.length);
  block.text = total;
  return rest;
}

function blockKind(type: string): Block["kind"] | undefined {
  if (type === "message") return "message";
  if (type === "reasoning") return "reasoning";
  if (type === "function_call") return "call";
  return undefined;
}

/** A message's whole text: its `output_text` parts, and refusals shown as text as in the stream. */
function messageText(item: ResponsesOutputItem): string | undefined {
  const content = item.content;
  if (!Array.isArray(content)) return undefined;
  let text = "";
  for (const part of content) {
    if (!isObject(part)) continue;
    if (typeof part.text === "string") text += part.text;
    else if (typeof part.refusal === "string") text += part.refusal;
  }
  return text;
}

/** A reasoning item's whole text, from the same source the deltas used (summary first when none came). */
function reasoningText(item: ResponsesOutputItem, source: ReasoningBlock["source"]): string | undefined {
  const summary = source === "text" ? undefined : joinParts(item.summary);
  if (source === "summary" || (summary !== undefined && summary !== "")) return summary;
  return joinParts(item.content);
}

function joinParts(parts: unknown): string | undefined {
  if (!Array.isArray(parts)) return undefined;
  let text = "";
  for (const part of parts) {
    if (!isObject(part) || typeof part.text !== "string" || part.text === "") continue;
    text = text === "" ? part.text : text + partSeparator + part.text;
  }
  return text;
}

/** `: message` from an `error` event, flat as OpenAI sends it or nested; empty when there is none. */
function errorDetail(event: ResponsesStreamEvent): string {
  const nested = event.error as unknown;
  const message = nonEmpty(event.message) ?? (typeof nested === "string" ? nonEmpty(nested) : isObject(nested) ? nonEmpty(nested.message) : undefined);
  return message === undefined ? "" : `: ${message}`;
}

function isItem(value: unknown): value is ResponsesOutputItem {
  return isObject(value) && typeof value.type === "string";
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}
