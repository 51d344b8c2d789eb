import { z } from "zod";
import { itemSchema } from "./items.ts";

/** A function the model may call. Client tools come from the request; server tools from plugins. */
export const functionToolSchema = z.object({
  name: z.string().min(1).max(64),
  description: z.string().optional(),
  /** JSON Schema of the arguments object. */
  parameters: z.record(z.string(), z.unknown()).optional(),
  strict: z.boolean().optional(),
});

export const toolChoiceSchema = z.union([
  z.enum(["auto", "none", "required"]),
  z.object({ type: z.literal("function"), name: z.string() }),
]);

/** How the model must shape its text: free text, any JSON object, or JSON matching a schema. */
export const textFormatSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    name: z.string(),
    schema: z.record(z.string(), z.unknown()),
    description: z.string().optional(),
    strict: z.boolean().optional(),
  }),
]);

export const reasoningEffortSchema = z.enum(["none", "minimal", "low", "medium", "high", "xhigh"]);

/**
 * One internal request shape for all three client formats: what the agent loop hands an upstream.
 * Client settings the upstream should see are carried here; wire-only settings (stream, include_usage)
 * stay in the codec.
 */
export const runInputSchema = z.object({
  /** The model sent upstream (the configured upstream model, or the one the client asked for). */
  model: z.string(),
  /** System text placed before every item: the configured core prompt. */
  instructions: z.string().optional(),
  /** The whole history sent upstream, oldest first, client system messages included. */
  items: z.array(itemSchema),
  tools: z.array(functionToolSchema),
  toolChoice: toolChoiceSchema.optional(),
  parallelToolCalls: z.boolean().optional(),
  temperature: z.number().optional(),
  topP: z.number().optional(),
  maxOutputTokens: z.number().int().positive().optional(),
  stop: z.array(z.string()).optional(),
  seed: z.number().int().optional(),
  frequencyPenalty: z.number().optional(),
  presencePenalty: z.number().optional(),
  textFormat: textFormatSchema.optional(),
  reasoningEffort: reasoningEffortSchema.optional(),
  /** End-user id passed through for the upstream's abuse monitoring. */
  user: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});

export type FunctionTool = z.infer<typeof functionToolSchema>;
export type ToolChoice = z.infer<typeof toolChoiceSchema>;
export type TextFormat = z.infer<typeof textFormatSchema>;
export type ReasoningEffort = z.infer<typeof reasoningEffortSchema>;
export type RunInput = z.infer<typeof runInputSchema>;
