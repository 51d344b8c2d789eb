import { z } from "zod";
import { itemSchema } from "./items.ts";

/** A function the model may call. Client tools come from the request; server tools from plugins. */
export const functionToolSchema = z.object({
  name: z.string().min(1).max(64),
  /** The client's namespace tool this function belongs to; the agent loop gives it a qualified name upstream. */
  namespace: z.string().optional(),
  description: z.string().optional(),
  /** JSON Schema of the arguments object. */
  parameters: z.record(z.string(), z.unknown()).optional(),
  strict: z.boolean().optional(),
});

export const toolChoiceSchema = z.union([z.enum(["auto", "none", "required"]), z.object({ type: z.literal("function"), name: z.string() })]);

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
  /**
   * Tools the proxy does not run and only a Responses upstream can take (`web_search`, `mcp`, `custom`,
   * any type it does not know), as the client sent them; an upstream that cannot carry them leaves them out.
   */
  hostedTools: z.array(z.looseObject({ type: z.string() })).optional(),
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
  /**
   * Request fields the proxy does not interpret, per upstream API, as the client's codec decided from
   * its field table: each upstream sends its own as they are (its own fields win on a clash).
   */
  extras: z.object({ responses: z.record(z.string(), z.unknown()).optional(), chat: z.record(z.string(), z.unknown()).optional() }).optional(),
});

export type FunctionTool = z.infer<typeof functionToolSchema>;
export type HostedTool = NonNullable<z.infer<typeof runInputSchema>["hostedTools"]>[number];
export type ToolChoice = z.infer<typeof toolChoiceSchema>;
export type TextFormat = z.infer<typeof textFormatSchema>;
export type ReasoningEffort = z.infer<typeof reasoningEffortSchema>;
export type RunInput = z.infer<typeof runInputSchema>;
