import { z } from "zod";

/**
 * History items, modelled on the Responses API because it is the richest of the formats: the Chat
 * Completions codec maps messages, `tool_calls` and role `tool` onto these and back.
 */

export const textPartSchema = z.object({
  type: z.enum(["input_text", "output_text"]),
  text: z.string(),
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
  text: z.string(),
});

export const itemSchema = z.discriminatedUnion("type", [
  messageItemSchema,
  functionCallItemSchema,
  functionCallOutputItemSchema,
  reasoningItemSchema,
]);

export type TextPart = z.infer<typeof textPartSchema>;
export type ImagePart = z.infer<typeof imagePartSchema>;
export type ContentPart = z.infer<typeof contentPartSchema>;
export type MessageItem = z.infer<typeof messageItemSchema>;
export type FunctionCallItem = z.infer<typeof functionCallItemSchema>;
export type FunctionCallOutputItem = z.infer<typeof functionCallOutputItemSchema>;
export type ReasoningItem = z.infer<typeof reasoningItemSchema>;
export type Item = z.infer<typeof itemSchema>;
export type Role = MessageItem["role"];

/** The plain text of a message's parts, images left out. */
export function textOf(content: readonly ContentPart[]): string {
  let text = "";
  for (const part of content) if (part.type !== "input_image") text += part.text;
  return text;
}
