import { z } from "zod";

/**
 * History items, modelled on the Responses API because it is the richest of the formats: the Chat
 * Completions codec maps messages, `tool_calls` and role `tool` onto these and back.
 */

/** A note on a span of output text, as the upstream gave it (a web search's `url_citation`, …). */
export const annotationSchema = z.looseObject({ type: z.string() });

export const textPartSchema = z.object({
  type: z.enum(["input_text", "output_text"]),
  text: z.string(),
  /** `output_text` only: the upstream's annotations (citations), kept as they came. */
  annotations: z.array(annotationSchema).optional(),
});

export const imagePartSchema = z.object({
  type: z.literal("input_image"),
  /** An `http(s)` URL or a `data:image/...` URL. */
  image_url: z.string(),
  detail: z.enum(["auto", "low", "high"]).optional(),
});

export const contentPartSchema = z.discriminatedUnion("type", [textPartSchema, imagePartSchema]);

export const messageItemSchema = z.object({
  type: z.literal("message"),
  id: z.string().optional(),
  role: z.enum(["system", "developer", "user", "assistant"]),
  content: z.array(contentPartSchema),
});

export const functionCallItemSchema = z.object({
  type: z.literal("function_call"),
  id: z.string().optional(),
  call_id: z.string(),
  /** The namespace tool the function belongs to, as the client declared it; `name` is then its name inside it. */
  namespace: z.string().optional(),
  name: z.string(),
  /** The arguments as the model wrote them: a JSON string, possibly invalid. */
  arguments: z.string(),
});

export const functionCallOutputItemSchema = z.object({
  type: z.literal("function_call_output"),
  id: z.string().optional(),
  call_id: z.string(),
  output: z.string(),
});

export const reasoningItemSchema = z.object({
  type: z.literal("reasoning"),
  id: z.string().optional(),
  /** The reasoning itself (`reasoning_text` parts, a Chat upstream's `reasoning_content`); may be "". */
  text: z.string(),
  /** The upstream's summary of it, one string per `summary_text` part. */
  summary: z.array(z.string()).optional(),
  /** The upstream's opaque copy of the reasoning (`reasoning.encrypted_content`): what lets it be sent back with `store: false`. */
  encryptedContent: z.string().optional(),
});

/**
 * An item the proxy carries without reading it: a hosted tool's call (`web_search_call`,
 * `code_interpreter_call`, …), a `custom_tool_call` and its output, or any type it does not know. Kept
 * as the upstream or the client sent it, and sent back as it is to an upstream that can carry it.
 */
export const opaqueItemSchema = z.object({
  type: z.literal("opaque"),
  id: z.string().optional(),
  value: z.looseObject({ type: z.string() }),
});

export const itemSchema = z.discriminatedUnion("type", [
  messageItemSchema,
  functionCallItemSchema,
  functionCallOutputItemSchema,
  reasoningItemSchema,
  opaqueItemSchema,
]);

export type TextPart = z.infer<typeof textPartSchema>;
export type Annotation = z.infer<typeof annotationSchema>;
export type ImagePart = z.infer<typeof imagePartSchema>;
export type ContentPart = z.infer<typeof contentPartSchema>;
export type MessageItem = z.infer<typeof messageItemSchema>;
export type FunctionCallItem = z.infer<typeof functionCallItemSchema>;
export type FunctionCallOutputItem = z.infer<typeof functionCallOutputItemSchema>;
export type ReasoningItem = z.infer<typeof reasoningItemSchema>;
export type OpaqueItem = z.infer<typeof opaqueItemSchema>;
export type Item = z.infer<typeof itemSchema>;
export type Role = MessageItem["role"];

/** The plain text of a message's parts, images left out. */
export function textOf(content: readonly ContentPart[]): string {
  let text = "";
  for (const part of content) if (part.type !== "input_image") text += part.text;
  return text;
}

/**
 * Whether an opaque item is a call the client answers (it has a `call_id`: `custom_tool_call`,
 * `local_shell_call`, `computer_call`, …) rather than one the upstream ran itself (`web_search_call`).
 */
export function awaitsClient(item: OpaqueItem): boolean {
  return typeof item.value.call_id === "string" && !item.value.type.endsWith("_output");
}

/** What a reader sees of a reasoning item in one string: its text, else its summary parts, a blank line apart. */
export function readableReasoning(item: Pick<ReasoningItem, "text" | "summary">): string {
  return item.text !== "" ? item.text : (item.summary ?? []).join("\n\n");
}

/**
 * Reasoning deltas as one string for formats with a single reasoning field: a new summary part starts
 * after a blank line, as the parts read apart. Keep one per stream.
 */
export class ReasoningJoiner {
  #part: string | undefined;

  /** The delta as the single field shows it. */
  delta(event: { itemId: string; delta: string; summaryIndex?: number | undefined }): string {
    if (event.summaryIndex === undefined) return event.delta;
    const part = `${event.itemId}#${event.summaryIndex}`;
    const starts = this.#part !== undefined && this.#part !== part && this.#part.startsWith(`${event.itemId}#`);
    this.#part = part;
    return starts ? `\n\n${event.delta}` : event.delta;
  }
}
