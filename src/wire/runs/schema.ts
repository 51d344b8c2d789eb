import { z } from "zod";
import { limits } from "../limits.ts";
import { boolish, imageUrl, jsonSchema, sessionIdSchema } from "../shared-schemas.ts";

/**
 * `POST /v1/runs` as the original server reads it, plus `tools`. Unknown fields are ignored, as the
 * original server ignores them; the fields it reads are checked exactly.
 */

const text = z.string().max(limits.textLength);

const partSchema = z.union([
  z.object({ type: z.enum(["input_text", "output_text", "text"]), text }),
  z.object({ type: z.literal("input_image"), image_url: imageUrl, detail: z.enum(["auto", "low", "high"]).optional() }),
  z.object({ type: z.literal("image_url"), image_url: z.object({ url: imageUrl, detail: z.enum(["auto", "low", "high"]).optional() }) }),
]);

const contentSchema = z.union([text, z.array(partSchema).max(limits.partsPerMessage)]);

export const runMessageSchema = z.object({
  type: z.literal("message").optional(),
  role: z.enum(["system", "developer", "user", "assistant"]),
  content: contentSchema,
});

const functionCallSchema = z.object({
  type: z.literal("function_call"),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
});

const functionCallOutputSchema = z.object({
  type: z.literal("function_call_output"),
  call_id: z.string().min(1),
  output: z.union([text, z.array(partSchema)]),
});

export const runInputItemSchema = z.union([functionCallSchema, functionCallOutputSchema, runMessageSchema]);

/** A client tool, in the Responses shape (`{type, name, parameters}`) or the Chat shape (`{type, function}`). */
const functionSpec = z.object({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "Tool names are 1-64 letters, digits, _ or -"),
  description: z.string().max(limits.textLength).optional(),
  parameters: jsonSchema.optional(),
  strict: z.boolean().nullish(),
});
const toolSchema = z.union([z.object({ type: z.literal("function"), function: functionSpec }), functionSpec.extend({ type: z.literal("function") })]);

export const runRequestSchema = z.object({
  input: z.union([text, z.array(runInputItemSchema).max(limits.items)]),
  instructions: text.nullish(),
  previous_response_id: z.string().min(1).max(256).nullish(),
  conversation_history: z.array(runMessageSchema).max(limits.items).nullish(),
  session_id: sessionIdSchema.nullish(),
  model: z.string().min(1).max(256).nullish(),
  tools: z.array(toolSchema).max(limits.tools).nullish(),
});

/** `POST /v1/runs/{id}/approval`: `once` or `deny`, with the original server's aliases for `once`. */
export const approvalRequestSchema = z.object({
  choice: z.string(),
  /** Resolve every pending request, not only the oldest. */
  all: boolish.optional(),
  resolve_all: boolish.optional(),
});

export type RunRequest = z.infer<typeof runRequestSchema>;
export type RunMessage = z.infer<typeof runMessageSchema>;
export type RunInputItem = z.infer<typeof runInputItemSchema>;
