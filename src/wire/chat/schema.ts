import { z } from "zod";
import { limits } from "../limits.ts";
import { boolish, imageUrl, jsonSchema, metadata, reasoningEffort, unsupportedPart } from "../shared-schemas.ts";

/**
 * The Chat Completions request as hermes-proxy accepts it: the published contract, so it is exact
 * about what it reads and lenient about extra top-level fields (frontends send many of their own).
 * Content bounds come from `../limits.ts`; refinements name a stable `code` through `params.code`.
 */

const text = z.string().max(limits.textLength);

const textPart = z.object({ type: z.literal("text"), text });

const imagePart = z.object({
  type: z.literal("image_url"),
  image_url: z.object({ url: imageUrl, detail: z.enum(["auto", "low", "high"]).optional() }),
});

const userPart = z.discriminatedUnion("type", [textPart, imagePart, unsupportedPart(["file", "input_audio", "input_file"])], {
  error: "Content parts must be of type 'text' or 'image_url'",
});
const refusalPart = z.object({ type: z.literal("refusal"), refusal: text });

const parts = <T extends z.ZodType>(part: T) => z.array(part).max(limits.partsPerMessage);

const toolCall = z.object({
  id: z.string().min(1).max(256),
  type: z.literal("function").optional(),
  function: z.object({ name: z.string().min(1).max(256), arguments: z.string().max(limits.textLength) }),
});

const systemMessage = z.object({
  role: z.enum(["system", "developer"]),
  content: z.union([text, parts(textPart)]),
  name: z.string().optional(),
});

const userMessage = z.object({
  role: z.literal("user"),
  content: z.union([text, parts(userPart)]),
  name: z.string().optional(),
});

const assistantMessage = z.object({
  role: z.literal("assistant"),
  content: z.union([text, parts(z.discriminatedUnion("type", [textPart, refusalPart]))]).nullish(),
  tool_calls: z.array(toolCall).max(limits.tools).optional(),
  reasoning_content: text.nullish(),
  refusal: text.nullish(),
  name: z.string().optional(),
});

const toolMessage = z.object({
  role: z.literal("tool"),
  content: z.union([text, parts(textPart)]),
  tool_call_id: z.string().min(1).max(256),
});

export const chatMessageSchema = z.discriminatedUnion("role", [systemMessage, userMessage, assistantMessage, toolMessage], {
  error: "Each message needs a role of 'system', 'developer', 'user', 'assistant' or 'tool'",
});

const tool = z.object({
  type: z.literal("function"),
  function: z.object({
    name: z.string().regex(/^[\w-]{1,64}$/, "Tool names are 1-64 letters, digits, '_' or '-'"),
    description: z.string().max(limits.textLength).optional(),
    parameters: jsonSchema.optional(),
    strict: z.boolean().nullish(),
  }),
});

const toolChoice = z.union([z.enum(["none", "auto", "required"]), z.object({ type: z.literal("function"), function: z.object({ name: z.string() }) })]);

const responseFormat = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    json_schema: z.object({
      name: z.string().max(64),
      description: z.string().optional(),
      schema: jsonSchema.optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

export const chatRequestSchema = z.object({
  model: z.string().min(1).max(256).optional(),
  messages: z.array(chatMessageSchema).min(1, "'messages' must contain at least one message").max(limits.items),
  stream: boolish.nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  tools: z.array(tool).max(limits.tools).nullish(),
  tool_choice: toolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  seed: z.number().int().nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  response_format: responseFormat.nullish(),
  reasoning_effort: reasoningEffort.nullish(),
  user: z.string().max(256).nullish(),
  metadata: metadata.nullish(),
  n: z
    .number()
    .int()
    .refine((n) => n === 1, { message: "Only n=1 is supported", params: { code: "unsupported_parameter" } })
    .nullish(),
});

export type ChatRequest = z.infer<typeof chatRequestSchema>;
export type ChatMessage = z.infer<typeof chatMessageSchema>;
