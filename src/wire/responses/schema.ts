import { z } from "zod";
import { limits, nestsDeeperThan } from "../limits.ts";
import { queryBoolean, queryInteger, queryParam } from "../query-schemas.ts";
import { boolish, imageUrl, jsonSchema, metadata, reasoningEffort, unsupportedPart } from "../shared-schemas.ts";

/**
 * The Responses API request as hermes-proxy accepts it (`POST /v1/responses`): exact about what it
 * reads, lenient about extra top-level fields. Input items follow the OpenAI spec's
 * `InputItem` union; the original server's `conversation_history` extension is accepted too.
 */

const text = z.string().max(limits.textLength);

const inputText = z.object({ type: z.literal("input_text"), text });
const outputText = z.object({ type: z.literal("output_text"), text, annotations: z.array(z.unknown()).optional() });
const refusal = z.object({ type: z.literal("refusal"), refusal: text });
const inputImage = z.object({
  type: z.literal("input_image"),
  image_url: imageUrl,
  detail: z.enum(["auto", "low", "high"]).optional(),
});

const contentPart = z.discriminatedUnion("type", [inputText, outputText, refusal, inputImage, unsupportedPart(["input_file", "input_audio"])], {
  error: "Content parts must be of type 'input_text', 'output_text' or 'input_image'",
});

const id = z.string().min(1).max(256);

const message = z.object({
  type: z.literal("message").optional(),
  id: id.optional(),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: z.union([text, z.array(contentPart).max(limits.partsPerMessage)]),
  status: z.string().optional(),
});

const functionCall = z.object({
  type: z.literal("function_call"),
  id: id.optional(),
  call_id: id,
  namespace: z.string().min(1).max(256).optional(),
  name: z.string().min(1).max(256),
  arguments: text,
  status: z.string().optional(),
});

const functionCallOutput = z.object({
  type: z.literal("function_call_output"),
  id: id.optional(),
  call_id: id,
  output: z.union([text, z.array(z.discriminatedUnion("type", [inputText, outputText])).max(limits.partsPerMessage)]),
  status: z.string().optional(),
});

const reasoning = z.object({
  type: z.literal("reasoning"),
  id: id.optional(),
  summary: z.array(z.object({ type: z.literal("summary_text"), text })).optional(),
  content: z.array(z.object({ type: z.literal("reasoning_text"), text })).nullish(),
  encrypted_content: z.string().nullish(),
});

const itemReference = z.object({ type: z.literal("item_reference"), id });

/** The item types this codec reads; an item of any other type is carried as it is (see `OpaqueItem`). */
const readItemTypes: ReadonlySet<string> = new Set(["message", "function_call", "function_call_output", "reasoning", "item_reference"]);

/**
 * A hosted tool's call (`web_search_call`), a `custom_tool_call` or its output, or a type this codec
 * does not know, as a client resends it with `store: false`: kept whole for an upstream that reads it.
 */
const opaqueItem = z
  .looseObject({
    type: z
      .string()
      .min(1)
      .max(64)
      .refine((type) => !readItemTypes.has(type)),
    id: id.optional(),
  })
  .refine((item) => !nestsDeeperThan(item, limits.schemaDepth), { message: `Items nest at most ${limits.schemaDepth} levels deep` });

/** Items are told apart by `type`; a bare `{role, content}` is a message, as the spec's EasyInputMessage. */
const readItem = z.discriminatedUnion("type", [functionCall, functionCallOutput, reasoning, itemReference]);
export const inputItemSchema = z.union([message, readItem, opaqueItem], {
  error: "Input items are messages, function_call, function_call_output, reasoning, item_reference or other items with a 'type'",
});

const functionTool = z.object({
  type: z.literal("function"),
  name: z.string().regex(/^[\w-]{1,64}$/, "Tool names are 1-64 letters, digits, '_' or '-'"),
  description: z.string().max(limits.textLength).nullish(),
  parameters: jsonSchema.nullish(),
  strict: z.boolean().nullish(),
});

const customTool = z.looseObject({
  type: z.literal("custom"),
  name: z.string().regex(/^[\w-]{1,64}$/, "Tool names are 1-64 letters, digits, '_' or '-'"),
});

/** Function and custom tools grouped under a name the model's calls carry back (`namespace` on the call). */
const namespaceTool = z.object({
  type: z.literal("namespace"),
  name: z.string().min(1).max(64),
  description: z.string().max(limits.textLength).nullish(),
  tools: z
    .array(z.union([functionTool, customTool], { error: "A namespace holds tools of type 'function' or 'custom'" }))
    .min(1)
    .max(limits.tools),
});

/**
 * A function tool, a namespace of them, or any other type (`web_search`, `mcp`, `custom`, …): a hosted
 * tool, which the proxy passes on to an upstream that runs it (or a plugin that claims its type). A
 * type is a name, as every one OpenAI defines: it is logged and named in a header when dropped.
 */
const tool = z.looseObject({ type: z.string().regex(/^[\w.-]{1,64}$/, "Tool types are 1-64 letters, digits, '_', '.' or '-'") }).transform((value, ctx) => {
  const schema = value.type === "function" ? functionTool : value.type === "namespace" ? namespaceTool : value.type === "custom" ? customTool : undefined;
  if (schema === undefined) {
    if (nestsDeeperThan(value, limits.schemaDepth)) ctx.addIssue({ code: "custom", message: `Tools nest at most ${limits.schemaDepth} levels deep` });
    return value as HostedToolParam;
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
  return z.NEVER;
});

const textFormat = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    name: z.string().max(64),
    schema: jsonSchema,
    description: z.string().optional(),
    strict: z.boolean().nullish(),
  }),
]);

export const responsesRequestSchema = z.object({
  model: z.string().min(1).max(256).optional(),
  input: z.union([text, z.array(inputItemSchema).max(limits.items)]),
  instructions: text.nullish(),
  previous_response_id: id.nullish(),
  conversation: z.union([id, z.object({ id })]).nullish(),
  /** The original server's extension: prior turns as `{role, content}` messages, taking precedence over a chain. */
  conversation_history: z.array(message).max(limits.items).nullish(),
  store: boolish.nullish(),
  stream: boolish.nullish(),
  background: boolish.nullish(),
  truncation: z.enum(["auto", "disabled"]).nullish(),
  tools: z.array(tool).max(limits.tools).nullish(),
  /** A choice of a hosted tool (`{ "type": "web_search_preview" }`, `allowed_tools`, …) is passed on as sent. */
  tool_choice: z
    .union([
      z.enum(["none", "auto", "required"]),
      z.object({ type: z.literal("function"), name: z.string() }),
      z.looseObject({
        type: z
          .string()
          .min(1)
          .max(64)
          .refine((type) => type !== "function"),
      }),
    ])
    .nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  metadata: metadata.nullish(),
  text: z.looseObject({ format: textFormat.optional(), verbosity: z.enum(["low", "medium", "high"]).nullish() }).nullish(),
  reasoning: z.looseObject({ effort: reasoningEffort.nullish(), summary: z.string().nullish() }).nullish(),
  user: z.string().max(256).nullish(),
});

/** `GET /v1/responses/{id}`: `stream=true` replays a background response's events after `starting_after`. */
export const retrieveResponseQuerySchema = z.object({
  stream: queryParam(queryBoolean.default(false)),
  starting_after: queryParam(queryInteger(0, Number.MAX_SAFE_INTEGER, "Expected a sequence number").optional()),
});

/** `GET /v1/responses/{id}/input_items`: `limit` 1-100 (default 20), `order` (default `desc`), `after` an item id. */
export const inputItemsQuerySchema = z.object({
  limit: queryParam(queryInteger(1, 100).default(20)),
  order: queryParam(z.enum(["asc", "desc"], "Expected 'asc' or 'desc'").default("desc")),
  after: queryParam(z.string().optional()),
});

/** A tool of a type the proxy does not run itself, as the client sent it. */
export type HostedToolParam = { type: string; [key: string]: unknown };
export type ResponsesTool = z.output<typeof tool>;
export type FunctionToolParam = z.output<typeof functionTool>;
export type NamespaceToolParam = z.output<typeof namespaceTool>;
export type ResponsesRequest = z.infer<typeof responsesRequestSchema>;
export type InputItem = z.infer<typeof inputItemSchema>;
export type InputMessage = z.infer<typeof message>;
/** An input item of a type this codec reads, other than a message. */
export type ReadInputItem = z.infer<typeof readItem>;
