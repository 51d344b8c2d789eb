import { randomId } from "../../utils/index.ts";
import type { HermesEvent, Usage } from "../../protocol/index.ts";
import type { NewId } from "../../utils/index.ts";
import { upstreamError } from "../http-errors.ts";
import type { StreamDecoder } from "../sse.ts";
import { ChatChunkParser } from "./chunk-parser.ts";
import { mapFinishReason } from "./finish-reason.ts";
import { type ChatChunk, type ChatChunkDelta, type ChatToolCallDelta, chatChunkDeltaSchema, chatChunkSchema } from "./schema.ts";
import { mapChatUsage } from "./usage.ts";

interface TextBlock {
  itemId: string;
  text: string;
}

interface ToolCallState {
  index: number;
  /** The upstream's id; kept apart from `callId` until the call starts. */
  id: string | undefined;
  callId: string;
  itemId: string;
  name: string;
  arguments: string;
  started: boolean;
  completed: boolean;
}

/**
 * Turns Chat Completions chunks into protocol events: `pushEvent` each SSE event's data (or `push` a
 * chunk already parsed), then `end` once the stream is over; `[DONE]` is the terminal event. Pure and
 * synchronous; events are appended to a caller-owned array so that the hot path allocates nothing but
 * the events themselves (a chunk in a known envelope is read from its delta alone: `ChatChunkParser`).
 *
 * Blocks are sequential, as OpenAI streams them: reasoning and text close each other, a tool call
 * closes the text and reasoning before it, and a call with a new index (or, Gemini-style, a new id at
 * the same index) completes the call before it. Everything still open is closed at the finish reason.
 * Each chunk is parsed with `chatChunkSchema`, which lists only the fields read: about 0.7 µs a chunk
 * (`bench/parse-cost.ts`), where the whole proxy spends some 50 µs of CPU per chunk.
 *
 * @example
 * const decoder = new ChatStreamDecoder(randomId);
 * const events: HermesEvent[] = [];
 * for (const chunk of chunks) decoder.push(chunk, events);
 * decoder.end(events); // throws when the stream never finished
 */
export class ChatStreamDecoder implements StreamDecoder {
  private readonly newId: NewId;
  private readonly parser = new ChatChunkParser();
  private sawDone = false;
  private message: TextBlock | undefined;
  private reasoning: TextBlock | undefined;
  private readonly calls: ToolCallState[] = [];
  private current: ToolCallState | undefined;
  private finishReason: string | undefined;
  private usage: Usage | undefined;
  private ended = false;

  constructor(newId: NewId = randomId) {
    this.newId = newId;
  }

  /** Whether a finish reason has arrived: the answer is whole even if the stream breaks after it. */
  get finished(): boolean {
    return this.finishReason !== undefined;
  }

  /** Whether `[DONE]` has come: nothing after it is read. */
  get done(): boolean {
    return this.sawDone;
  }

  /** One SSE event: a chunk's JSON, or `[DONE]`. */
  pushEvent(_event: string | undefined, data: string, out: HermesEvent[]): void {
    if (data === "[DONE]") {
      this.sawDone = true;
      return;
    }
    let delta: object | undefined;
    let chunk: unknown;
    try {
      delta = this.parser.delta(data);
      if (delta === undefined) chunk = this.parser.chunk(data);
    } catch (error) {
      throw upstreamError("The upstream sent a stream chunk that is not JSON", error);
    }
    // A delta read alone comes from a chunk with one choice and nothing else: what `push` reads of it,
    // checked by the same schema.
    if (delta === undefined) return this.push(chunk, out);
    if (this.finishReason !== undefined) return;
    if (isTextOnly(delta)) return this.pushDelta(delta, out);
    const parsed = chatChunkDeltaSchema.safeParse(delta);
    if (!parsed.success) throw upstreamError("The upstream sent a malformed stream chunk", parsed.error);
    this.pushDelta(parsed.data, out);
  }

  /** Decodes one parsed chunk (the JSON of one SSE `data`); a chunk the schema refuses is a 502. */
  push(chunk: unknown, out: HermesEvent[]): void {
    const parsed = chatChunkSchema.safeParse(chunk);
    if (!parsed.success) throw upstreamError("The upstream sent a malformed stream chunk", parsed.error);
    this.pushChunk(parsed.data, out);
  }

  /** Decodes a chunk the schema already read (a whole completion replayed as one chunk: `decodeChatJson`). */
  pushChunk(chunk: ChatChunk, out: HermesEvent[]): void {
    const { choices, usage, error } = chunk;
    if (error) throw upstreamError(`The upstream failed mid-stream${error.message ? `: ${error.message}` : ""}`);
    // With include_usage OpenAI sends `usage: null` on every chunk and the totals on a last one;
    // servers that report running totals on every chunk end with the final figure, so the last wins.
    if (usage) this.usage = mapChatUsage(usage);
    // Only choice 0: we never ask for `n > 1`.
    const choice = choices?.[0];
    if (choice === undefined || this.finishReason !== undefined) return;
    if (choice.delta) this.pushDelta(choice.delta, out);
    const reason = choice.finish_reason;
    if (reason) {
      this.finishReason = reason;
      this.closeAll(out);
    }
  }

  /** Closes what is still open and appends the one `step.completed`; throws if no finish reason came. */
  end(out: HermesEvent[]): void {
    if (this.ended) return;
    this.ended = true;
    // A stream cut short looks like a short answer; reporting it as one would be a silent truncation.
    if (this.finishReason === undefined) throw upstreamError("The upstream stream ended before a finish reason");
    const finishReason = mapFinishReason(this.finishReason, this.calls.length > 0);
    out.push(this.usage ? { type: "step.completed", finishReason, usage: this.usage } : { type: "step.completed", finishReason });
  }

  private pushDelta(delta: ChatChunkDelta, out: HermesEvent[]): void {
    // Some servers send both names for the same text; reading one avoids doubling it.
    const reasoning = delta.reasoning_content ?? delta.reasoning;
    if (reasoning) this.reasoningDelta(reasoning, out);
    const content = delta.content;
    if (typeof content === "string") {
      if (content !== "") this.textDelta(content, out);
    } else if (content) {
      for (const part of content) if (part.type === "text" && part.text) this.textDelta(part.text, out);
    }
    // The protocol has no refusal block; shown as text, a refusal at least reaches the user.
    if (delta.refusal) this.textDelta(delta.refusal, out);
    if (delta.tool_calls) for (const call of delta.tool_calls) this.toolCallDelta(call, out);
  }

  private textDelta(delta: string, out: HermesEvent[]): void {
    let message = this.message;
    if (message === undefined) {
      this.closeReasoning(out);
      message = this.message = { itemId: this.newId("msg_"), text: "" };
      out.push({ type: "message.started", itemId: message.itemId });
    }
    message.text += delta;
    out.push({ type: "text.delta", itemId: message.itemId, delta });
  }

  private reasoningDelta(delta: string, out: HermesEvent[]): void {
    let reasoning = this.reasoning;
    if (reasoning === undefined) {
      this.closeMessage(out);
      reasoning = this.reasoning = { itemId: this.newId("rs_"), text: "" };
      out.push({ type: "reasoning.started", itemId: reasoning.itemId });
    }
    reasoning.text += delta;
    out.push({ type: "reasoning.delta", itemId: reasoning.itemId, delta });
  }

  private toolCallDelta(delta: ChatToolCallDelta, out: HermesEvent[]): void {
    const id = delta.id || undefined;
    let call = this.current;
    // A missing index continues the current call; Gemini sends parallel calls at one index, told apart by id.
    const index = delta.index ?? call?.index ?? 0;
    if (call === undefined || call.index !== index || (id !== undefined && call.id !== undefined && id !== call.id)) {
      if (id === undefined && this.calls.some((done) => done.index === index)) {
        throw upstreamError("The upstream interleaved the arguments of parallel tool calls");
      }
      if (call !== undefined) this.completeCall(call, out);
      this.closeMessage(out);
      this.closeReasoning(out);
      call = { index, id, callId: "", itemId: "", name: "", arguments: "", started: false, completed: false };
      this.calls.push(call);
      this.current = call;
    } else if (id !== undefined && call.id === undefined) {
      call.id = id;
    }
    const fn = delta.function;
    const name = fn?.name;
    const piece = fn?.arguments;
    if (!call.started) {
      if (name) call.name = name;
      if (piece) call.arguments += piece;
      // Arguments that came before the name are held back and sent as the first delta.
      if (call.name !== "") this.startCall(call, out);
    } else if (piece) {
      call.arguments += piece;
      out.push({ type: "tool.call.delta", callId: call.callId, delta: piece });
    }
  }

  private startCall(call: ToolCallState, out: HermesEvent[]): void {
    call.started = true;
    call.callId = call.id ?? this.newId("call_");
    call.itemId = this.newId("fc_");
    out.push({ type: "tool.call.started", callId: call.callId, itemId: call.itemId, name: call.name });
    if (call.arguments !== "") out.push({ type: "tool.call.delta", callId: call.callId, delta: call.arguments });
  }

  private completeCall(call: ToolCallState, out: HermesEvent[]): void {
    if (call.completed) return;
    if (!call.started) throw upstreamError("The upstream sent a tool call without a name");
    call.completed = true;
    // A call without arguments is a call with no arguments; "" would fail every JSON.parse downstream.
    if (call.arguments === "") {
      call.arguments = "{}";
      out.push({ type: "tool.call.delta", callId: call.callId, delta: "{}" });
    }
    out.push({ type: "tool.call.completed", callId: call.callId, itemId: call.itemId, name: call.name, arguments: call.arguments });
  }

  private closeMessage(out: HermesEvent[]): void {
    const message = this.message;
    if (message === undefined) return;
    this.message = undefined;
    out.push({ type: "message.completed", itemId: message.itemId, text: message.text });
  }

  private closeReasoning(out: HermesEvent[]): void {
    const reasoning = this.reasoning;
    if (reasoning === undefined) return;
    this.reasoning = undefined;
    out.push({ type: "reasoning.completed", itemId: reasoning.itemId, text: reasoning.text });
  }

  private closeAll(out: HermesEvent[]): void {
    this.closeReasoning(out);
    this.closeMessage(out);
    for (const call of this.calls) this.completeCall(call, out);
    this.current = undefined;
  }
}

/**
 * A delta that is text alone (`content` a string, perhaps beside `role`): almost every chunk of an
 * answer. `chatChunkDeltaSchema` accepts it as it is (`role` is a key it does not read), so its verdict
 * is known without asking it; asking costs some 600 bytes of allocation per chunk, 18 % of what a
 * 64-chunk stream allocates (`npm run bench -- --alloc-sites`, `chat-burst64-50`). Anything else is
 * the schema's to judge; `chat-chunk-verdicts.test.ts` holds both to the same verdicts.
 */
export function isTextOnly(delta: object): delta is ChatChunkDelta {
  let text = false;
  for (const key in delta) {
    if (key === "content") {
      if (typeof (delta as { content: unknown }).content !== "string") return false;
      text = true;
    } else if (key !== "role") return false;
  }
  return text;
}
