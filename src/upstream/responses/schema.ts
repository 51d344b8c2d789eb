import { z } from "zod";

/**
 * What we read from Responses API answers, and nothing more. Lenient on purpose (`nullish`
 * everywhere, unknown keys ignored): Responses servers other than OpenAI's (vLLM, Ollama, LM Studio,
 * OpenRouter, LiteLLM) differ in what they send, and a field we do not read must never fail a request.
 * A field we do read must have its type, though: every stream event of a type the decoder reads is
 * parsed with its schema below (as every Chat chunk is with `chatChunkSchema`), so a wrong-typed field
 * is a 502, never a piece of the answer silently dropped. Each field here costs time on every token.
 */

export const responsesUsageSchema = z.object({
  input_tokens: z.number().nullish(),
  output_tokens: z.number().nullish(),
  total_tokens: z.number().nullish(),
  input_tokens_details: z.object({ cached_tokens: z.number().nullish() }).nullish(),
  output_tokens_details: z.object({ reasoning_tokens: z.number().nullish() }).nullish(),
});

/** `output_text` and `refusal` parts of a message; `reasoning_text` and `summary_text` parts of reasoning. */
const contentPartSchema = z.object({
  type: z.string(),
  text: z.string().nullish(),
  refusal: z.string().nullish(),
  /** `output_text`: citations and the like, carried as they are. */
  annotations: z.array(z.looseObject({ type: z.string() })).nullish(),
});

/**
 * One `output` item: the fields of `message`, `reasoning` and `function_call` in one lenient shape,
 * other fields kept (an item of another type is carried whole).
 */
export const outputItemSchema = z.looseObject({
  type: z.string(),
  id: z.string().nullish(),
  /** `message` (output_text, refusal) and `reasoning` (reasoning_text). */
  content: z.array(contentPartSchema).nullish(),
  /** `reasoning`: the summary parts OpenAI exposes when `reasoning.summary` is asked for. */
  summary: z.array(contentPartSchema).nullish(),
  /** `function_call`. */
  call_id: z.string().nullish(),
  name: z.string().nullish(),
  arguments: z.string().nullish(),
  /** `reasoning`, when the request's `include` asked for it. */
  encrypted_content: z.string().nullish(),
});

const responseErrorSchema = z.object({
  message: z.string().nullish(),
  code: z.union([z.string(), z.number()]).nullish(),
});

/**
 * The response object: the body of a non-stream answer, and the `response` of the terminal stream
 * events. Output items stay loose here (any object with a `type`) so that a built-in tool's item of
 * a shape we do not know cannot fail the whole body; the decoder reads the ones it knows.
 */
export const responseSchema = z.object({
  status: z.string().nullish(),
  output: z.array(z.looseObject({ type: z.string() })).nullish(),
  usage: responsesUsageSchema.nullish(),
  incomplete_details: z.object({ reason: z.string().nullish() }).nullish(),
  error: responseErrorSchema.nullish(),
});

/** Where a delta points: the upstream's item id and output index (either may be missing or unreliable). */
const itemRefSchema = z.object({
  item_id: z.string().nullish(),
  output_index: z.number().nullish(),
});

/** `response.output_text.delta`, `.refusal.delta`, `.function_call_arguments.delta`: a piece of text. */
export const deltaEventSchema = itemRefSchema.extend({ delta: z.string() });

/** `response.reasoning_summary_text.delta`: `summary_index` says which summary part it belongs to. */
export const summaryDeltaEventSchema = deltaEventSchema.extend({ summary_index: z.number().nullish() });

/** `response.reasoning_text.delta`: `content_index` says which content part it belongs to. */
export const reasoningTextDeltaEventSchema = deltaEventSchema.extend({ content_index: z.number().nullish() });

/** `response.output_item.added` and `.done`. */
export const itemEventSchema = z.object({ output_index: z.number().nullish(), item: outputItemSchema });

/** `response.function_call_arguments.done`: the whole arguments, and on some servers the name. */
export const argumentsDoneEventSchema = itemRefSchema.extend({ name: z.string().nullish(), arguments: z.string().nullish() });

/** `response.completed`, `.incomplete` and `.failed`. A server that leaves `response` out ends with what it streamed. */
export const terminalEventSchema = z.object({ response: responseSchema.nullish() });

export type ItemRef = z.infer<typeof itemRefSchema>;
export type DeltaEvent = z.infer<typeof deltaEventSchema>;
export type ArgumentsDoneEvent = z.infer<typeof argumentsDoneEventSchema>;

export type ResponsesUsage = z.infer<typeof responsesUsageSchema>;
export type ResponsesOutputItem = z.infer<typeof outputItemSchema>;
export type ResponsesResponse = z.infer<typeof responseSchema>;
