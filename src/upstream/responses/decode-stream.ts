import { randomId } from "../../utils/index.ts";
import type { HermesEvent } from "../../protocol/index.ts";
import type { NewId } from "../../utils/index.ts";
import { upstreamError } from "../http-errors.ts";
import type { StreamDecoder } from "../sse.ts";
import { mapTerminal } from "./finish-reason.ts";
import type { z } from "zod";
import {
  type ArgumentsDoneEvent,
  argumentsDoneEventSchema,
  deltaEventSchema,
  type ItemRef,
  itemEventSchema,
  outputItemSchema,
  reasoningTextDeltaEventSchema,
  type ResponsesOutputItem,
  type ResponsesResponse,
  summaryDeltaEventSchema,
  terminalEventSchema,
} from "./schema.ts";
import { mapResponsesUsage } from "./usage.ts";

interface MessageBlock {
  kind: "message";
  itemId: string;
  text: string;
  /** The annotations of its text parts (citations), from the finished item. */
  annotations: { type: string; [key: string]: unknown }[];
  open: boolean;
}

interface ReasoningBlock {
  kind: "reasoning";
  itemId: string;
  /** The reasoning text (`reasoning_text` parts, joined). */
  text: string;
  /** The summary parts as streamed. */
  summary: string[];
  /** The content part the last text delta belonged to. */
  part: number;
  encryptedContent: string | undefined;
  open: boolean;
}

/** An item of a type we carry without reading (a hosted tool's call, a custom tool call…): see `OpaqueItem`. */
interface OpaqueBlock {
  kind: "opaque";
  itemId: string;
  open: boolean;
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

type Block = MessageBlock | ReasoningBlock | CallBlock | OpaqueBlock;

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
 * Output items are tracked by the upstream's item id, else its `output_index`. Messages and function
 * calls get our own ids (`msg_`, `fc_`; tool calls keep the upstream's `call_id`); reasoning and opaque
 * items keep the upstream's id, which is what it wants back when they are resent with `store: false`.
 * Reasoning keeps its summary parts and its text apart (`summaryIndex` on a summary delta), and its
 * `encrypted_content`. An item of any other type (`web_search_call`, `custom_tool_call`, one we do not
 * know) is carried as it is: `opaque.started`, its own stream events (`response.web_search_call.*`, …)
 * as `opaque.delta`, and `opaque.completed` with the finished item. Items may overlap: every block
 * has its own id. Servers that skip events are met halfway: a delta for an item never announced
 * starts one, an item seen only at `response.output_item.done` (or only in the final response) is
 * replayed whole, and a total that runs ahead of the deltas is sent as one more delta. The terminal
 * event closes whatever is still open and gives the one `step.completed`; a stream without one fails.
 *
 * Every event of a type read here is parsed with its schema (`schema.ts`: the fields read, nothing
 * more), so a wrong-typed field is a 502 `upstream_error`, never a piece of the answer silently
 * dropped; so is an event that is not an object with a string `type`. Events of other types are
 * passed on as `opaque.delta` when they name an opaque item, and otherwise skipped by design:
 * lifecycle noise (`ignoredEventTypes`) and modalities we never ask for (`response.audio.*`, …).
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
    if (!isObject(event) || typeof event.type !== "string") throw upstreamError("The upstream sent a stream event without a type");
    if (this.terminal) return;
    const type = event.type;
    // Hot cases first: a switch compares in order.
    switch (type) {
      case "response.output_text.delta":
      // The protocol has no refusal block; shown as text, a refusal at least reaches the user.
      case "response.refusal.delta": {
        const e = parse(deltaEventSchema, type, event);
        if (e.delta !== "") this.textDelta(e, e.delta, out);
        return;
      }
      case "response.function_call_arguments.delta": {
        const e = parse(deltaEventSchema, type, event);
        if (e.delta !== "") this.argumentsDelta(e, e.delta, out);
        return;
      }
      case "response.reasoning_summary_text.delta": {
        const e = parse(summaryDeltaEventSchema, type, event);
        if (e.delta !== "") this.reasoningDelta(e, "summary", e.summary_index, e.delta, out);
        return;
      }
      case "response.reasoning_text.delta": {
        const e = parse(reasoningTextDeltaEventSchema, type, event);
        if (e.delta !== "") this.reasoningDelta(e, "text", e.content_index, e.delta, out);
        return;
      }
      case "response.output_item.added": {
        const e = parse(itemEventSchema, type, event);
        this.itemAdded(e.output_index, e.item, out);
        return;
      }
      case "response.output_item.done": {
        const e = parse(itemEventSchema, type, event);
        this.itemDone(e.output_index, e.item, out);
        return;
      }
      case "response.function_call_arguments.done":
        this.argumentsDone(parse(argumentsDoneEventSchema, type, event), out);
        return;
      case "response.completed":
      case "response.incomplete":
      case "response.failed":
        this.finish(type, parse(terminalEventSchema, type, event).response ?? {}, out);
        return;
      case "error":
        // Read by hand and leniently: whatever its shape, the call fails; its message is a bonus.
        throw upstreamError(`The upstream failed mid-stream${errorDetail(event)}`);
      default:
        this.opaqueDelta(event as { type: string } & Record<string, unknown>, out);
        return;
    }
  }

  /** An event of a type we do not read, about an opaque item (`response.web_search_call.searching`): passed on. */
  private opaqueDelta(event: { type: string } & Record<string, unknown>, out: HermesEvent[]): void {
    const itemId = typeof event.item_id === "string" ? event.item_id : undefined;
    const index = typeof event.output_index === "number" ? event.output_index : undefined;
    if (itemId === undefined && index === undefined) return;
    const block = this.find({ item_id: itemId, output_index: index });
    if (block === undefined || block.kind !== "opaque" || !block.open) return;
    const { sequence_number: _sequence, output_index: _index, ...rest } = event;
    out.push({ type: "opaque.delta", itemId: block.itemId, event: { ...rest, ...(itemId !== undefined && { item_id: block.itemId }) } });
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

  private reasoningDelta(ref: ItemRef, source: "summary" | "text", part: number | null | undefined, delta: string, out: HermesEvent[]): void {
    let block = this.find(ref);
    if (block === undefined || block.kind !== "reasoning") block = this.startReasoning(ref.output_index, nonEmpty(ref.item_id), out);
    else if (!block.open) throw upstreamError("The upstream sent reasoning for an item it had finished");
    const index = typeof part === "number" && part >= 0 ? part : 0;
    if (source === "summary") {
      block.summary[index] = (block.summary[index] ?? "") + delta;
      out.push({ type: "reasoning.delta", itemId: block.itemId, delta, summaryIndex: index });
      return;
    }
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
  private argumentsDone(event: ArgumentsDoneEvent, out: HermesEvent[]): void {
    const call = this.find(event);
    if (call === undefined || call.kind !== "call" || !call.open) return;
    this.catchUpArguments(call, event.arguments, out);
    if (!call.started) {
      call.name = nonEmpty(event.name) ?? "";
      if (call.name !== "") this.announce(call, out);
    }
  }

  private itemAdded(index: number | null | undefined, item: ResponsesOutputItem, out: HermesEvent[]): Block {
    const id = nonEmpty(item.id);
    switch (item.type) {
      case "message":
        return this.startMessage(index, id, out);
      case "reasoning":
        return this.startReasoning(index, id, out);
      case "function_call":
        return this.startCall(index, id, item, out);
      default:
        return this.startOpaque(index, id, item, out);
    }
  }

  private itemDone(index: number | null | undefined, item: ResponsesOutputItem, out: HermesEvent[]): void {
    const kind = blockKind(item.type);
    let block = this.find({ item_id: item.id, output_index: index });
    if (block !== undefined && block.kind === kind && !block.open) return;
    // Never announced (a server that sends finished items only): start it now, then finish it.
    if (block === undefined || block.kind !== kind) block = this.itemAdded(index, item, out);
    switch (block.kind) {
      case "message": {
        const rest = catchUp(block, messageText(item));
        if (rest !== undefined) out.push({ type: "text.delta", itemId: block.itemId, delta: rest });
        for (const part of item.content ?? []) if (Array.isArray(part.annotations)) block.annotations.push(...part.annotations);
        break;
      }
      case "reasoning": {
        const rest = catchUp(block, joinParts(item.content));
        if (rest !== undefined) out.push({ type: "reasoning.delta", itemId: block.itemId, delta: rest });
        (item.summary ?? []).forEach((part, summaryIndex) => {
          const streamed = block.summary[summaryIndex] ?? "";
          const total = typeof part.text === "string" ? part.text : "";
          if (total.length <= streamed.length || !total.startsWith(streamed)) return;
          block.summary[summaryIndex] = total;
          out.push({ type: "reasoning.delta", itemId: block.itemId, delta: total.slice(streamed.length), summaryIndex });
        });
        if (typeof item.encrypted_content === "string") block.encryptedContent = item.encrypted_content;
        break;
      }
      case "call":
        this.catchUpArguments(block, item.arguments, out);
        if (!block.started) block.name = nonEmpty(item.name) ?? "";
        break;
      case "opaque":
        block.open = false;
        out.push({ type: "opaque.completed", itemId: block.itemId, value: opaqueValue(item) });
        return;
    }
    this.close(block, out);
  }

  private finish(type: string, response: ResponsesResponse, out: HermesEvent[]): void {
    // A server that streams no item events still lists the items in the final response. Items of a
    // kind we read are held to the item schema; others (built-in tools we never offer) are skipped.
    const output = response.output;
    if (this.blocks.length === 0 && output) {
      for (let index = 0; index < output.length; index++) {
        const item = output[index]!;
        this.itemDone(index, parse(outputItemSchema, item.type, item, "item in its final response"), out);
      }
    }
    const finishReason = mapTerminal(type, response, this.calls > 0);
    for (const block of this.blocks) if (block.open) this.close(block, out);
    this.terminal = true;
    const usage = response.usage;
    out.push(usage ? { type: "step.completed", finishReason, usage: mapResponsesUsage(usage) } : { type: "step.completed", finishReason });
  }

  private startMessage(index: number | null | undefined, id: string | undefined, out: HermesEvent[]): MessageBlock {
    const block: MessageBlock = { kind: "message", itemId: this.newId("msg_"), text: "", annotations: [], open: true };
    this.register(block, index, id);
    out.push({ type: "message.started", itemId: block.itemId });
    return block;
  }

  private startReasoning(index: number | null | undefined, id: string | undefined, out: HermesEvent[]): ReasoningBlock {
    const block: ReasoningBlock = {
      kind: "reasoning",
      itemId: id ?? this.newId("rs_"),
      text: "",
      summary: [],
      part: 0,
      encryptedContent: undefined,
      open: true,
    };
    this.register(block, index, id);
    out.push({ type: "reasoning.started", itemId: block.itemId });
    return block;
  }

  private startCall(index: number | null | undefined, id: string | undefined, item: ResponsesOutputItem, out: HermesEvent[]): CallBlock {
    this.calls++;
    const callId = nonEmpty(item.call_id) ?? this.newId("call_");
    const call: CallBlock = { kind: "call", itemId: this.newId("fc_"), callId, name: nonEmpty(item.name) ?? "", arguments: "", open: true, started: false };
    this.register(call, index, id);
    if (call.name !== "") this.announce(call, out);
    return call;
  }

  private startOpaque(index: number | null | undefined, id: string | undefined, item: ResponsesOutputItem, out: HermesEvent[]): OpaqueBlock {
    const block: OpaqueBlock = { kind: "opaque", itemId: id ?? this.newId("item_"), open: true };
    this.register(block, index, id);
    out.push({ type: "opaque.started", itemId: block.itemId, value: opaqueValue(item) });
    return block;
  }

  /** Sends `tool.call.started`, and as its first delta any arguments that came before the name. */
  private announce(call: CallBlock, out: HermesEvent[]): void {
    call.started = true;
    out.push({ type: "tool.call.started", callId: call.callId, itemId: call.itemId, name: call.name });
    if (call.arguments !== "") out.push({ type: "tool.call.delta", callId: call.callId, delta: call.arguments });
  }

  /** The later of two items at one index wins it: some servers repeat `output_index: 0` for every item. */
  private register(block: Block, index: number | null | undefined, id: string | undefined): void {
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

  private catchUpArguments(call: CallBlock, total: string | null | undefined, out: HermesEvent[]): void {
    if (typeof total !== "string" || total.length <= call.arguments.length || !total.startsWith(call.arguments)) return;
    const rest = total.slice(call.arguments.length);
    call.arguments = total;
    if (call.started) out.push({ type: "tool.call.delta", callId: call.callId, delta: rest });
  }

  private close(block: Block, out: HermesEvent[]): void {
    block.open = false;
    switch (block.kind) {
      case "message":
        out.push({
          type: "message.completed",
          itemId: block.itemId,
          text: block.text,
          ...(block.annotations.length > 0 && { annotations: block.annotations }),
        });
        return;
      case "reasoning": {
        const summary = block.summary.map((part) => part ?? "");
        out.push({
          type: "reasoning.completed",
          itemId: block.itemId,
          text: block.text,
          ...(summary.length > 0 && { summary }),
          ...(block.encryptedContent !== undefined && { encryptedContent: block.encryptedContent }),
        });
        return;
      }
      case "opaque":
        // Cut short before its `output_item.done`: it ends as announced.
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

function blockKind(type: string): Block["kind"] {
  if (type === "message") return "message";
  if (type === "reasoning") return "reasoning";
  if (type === "function_call") return "call";
  return "opaque";
}

/** An opaque item as the upstream sent it, without its id (the item id carries that). */
function opaqueValue(item: ResponsesOutputItem): { type: string; [key: string]: unknown } {
  const { id: _id, ...value } = item;
  return value;
}

/** A message's whole text: its `output_text` parts, and refusals shown as text as in the stream. */
function messageText(item: ResponsesOutputItem): string | undefined {
  const content = item.content;
  if (!content) return undefined;
  let text = "";
  for (const part of content) {
    if (typeof part.text === "string") text += part.text;
    else if (typeof part.refusal === "string") text += part.refusal;
  }
  return text;
}

function joinParts(parts: ResponsesOutputItem["content"]): string | undefined {
  if (!parts) return undefined;
  let text = "";
  for (const part of parts) {
    if (typeof part.text !== "string" || part.text === "") continue;
    text = text === "" ? part.text : text + partSeparator + part.text;
  }
  return text;
}

/**
 * An event's fields as `schema` reads them, or a 502 naming the event type: a field we read with the
 * wrong type would otherwise drop a piece of the answer without a word.
 */
function parse<T extends z.ZodType>(schema: T, type: string, value: unknown, noun = "event"): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw upstreamError(`The upstream sent a malformed ${type} ${noun}`, parsed.error);
  return parsed.data;
}

/** `: message` from an `error` event, flat as OpenAI sends it or nested; empty when there is none. */
function errorDetail(event: Record<string, unknown>): string {
  const nested = event.error;
  const message = nonEmpty(event.message) ?? (typeof nested === "string" ? nonEmpty(nested) : isObject(nested) ? nonEmpty(nested.message) : undefined);
  return message === undefined ? "" : `: ${message}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}
