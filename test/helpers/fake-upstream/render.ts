import type { FakeCompletion, FakeUsage, RecordedRequest } from "./types.ts";

/** A FakeCompletion with its defaults filled in from the request, ready to render in either API. */
export interface ResolvedCompletion {
  id: string;
  created: number;
  model: string;
  text: string | undefined;
  textPieces: string[];
  reasoning: string | undefined;
  reasoningPieces: string[];
  toolCalls: { id: string; name: string; arguments: string; pieces: string[]; namespace?: string }[];
  hostedItems: Record<string, unknown>[];
  finishReason: "stop" | "length" | "tool_calls" | "content_filter";
  usage: Required<Omit<FakeUsage, "reasoningTokens" | "cachedTokens">> & Pick<FakeUsage, "reasoningTokens" | "cachedTokens">;
  /** `false` when the reply asked for no usage. */
  hasUsage: boolean;
}

let counter = 0;

/** Fills in the defaults: echo text, word pieces, ids, made-up token counts. */
export function resolveCompletion(reply: FakeCompletion, request: RecordedRequest, echo: string): ResolvedCompletion {
  const n = ++counter;
  const text = reply.text ?? (reply.toolCalls?.length ? undefined : echo);
  const textPieces = text === undefined ? [] : split(text, reply.chunks);
  const reasoningPieces = reply.reasoning === undefined ? [] : split(reply.reasoning);
  const toolCalls = (reply.toolCalls ?? []).map((call, index) => {
    const args = typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments ?? {});
    return {
      id: call.id ?? `call_fake${n}_${index}`,
      name: call.name,
      arguments: args,
      pieces: splitEvery(args, 8),
      ...(call.namespace !== undefined && { namespace: call.namespace }),
    };
  });
  const outputTokens = textPieces.length + reasoningPieces.length + toolCalls.reduce((sum, call) => sum + call.pieces.length + 1, 0);
  const inputTokens = Math.ceil(JSON.stringify(request.body ?? "").length / 4);
  const given = reply.usage ?? {};
  const usage = {
    inputTokens: given.inputTokens ?? inputTokens,
    outputTokens: given.outputTokens ?? outputTokens,
    totalTokens: given.totalTokens ?? (given.inputTokens ?? inputTokens) + (given.outputTokens ?? outputTokens),
    ...(given.reasoningTokens !== undefined
      ? { reasoningTokens: given.reasoningTokens }
      : reply.reasoning !== undefined && { reasoningTokens: reasoningPieces.length }),
    ...(given.cachedTokens !== undefined && { cachedTokens: given.cachedTokens }),
  };
  return {
    id: String(n),
    created: Math.floor(Date.now() / 1000),
    model: reply.model ?? (typeof request.body?.model === "string" ? request.body.model : "fake-model"),
    text,
    textPieces,
    reasoning: reply.reasoning,
    reasoningPieces,
    toolCalls,
    hostedItems: reply.hostedItems ?? [],
    finishReason: reply.finishReason ?? (toolCalls.length > 0 ? "tool_calls" : "stop"),
    usage,
    hasUsage: reply.usage !== null,
  };
}

/** Word-sized pieces, whitespace kept in front as tokenizers do ("Hello", " world"); or `count` even pieces. */
export function split(text: string, count?: number): string[] {
  if (text === "") return [];
  if (count !== undefined && count > 0) return splitEvery(text, Math.ceil(text.length / count));
  return text.split(/(?=\s)/);
}

function splitEvery(text: string, size: number): string[] {
  const pieces: string[] = [];
  for (let start = 0; start < text.length; start += size) pieces.push(text.slice(start, start + size));
  return pieces;
}

/** The text of the last user message (Chat) or input item (Responses), for the default echo reply. */
export function lastUserText(body: unknown): string {
  if (typeof body !== "object" || body === null) return "";
  const record = body as { messages?: unknown; input?: unknown };
  if (typeof record.input === "string") return record.input;
  const list = Array.isArray(record.messages) ? record.messages : Array.isArray(record.input) ? record.input : [];
  for (let index = list.length - 1; index >= 0; index--) {
    const message = list[index] as { role?: unknown; content?: unknown };
    if (message?.role !== "user") continue;
    if (typeof message.content === "string") return message.content;
    if (Array.isArray(message.content)) {
      return message.content.map((part: { text?: unknown }) => (typeof part?.text === "string" ? part.text : "")).join("");
    }
  }
  return "";
}

/** An SSE frame with only a data line. */
export function dataFrame(data: unknown): string {
  return `data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
}

/** An SSE frame with an event name, as the Responses API sends. */
export function eventFrame(event: { type: string; [field: string]: unknown }): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}
