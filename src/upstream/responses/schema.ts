import { z } from "zod";

/**
 * What we read from Responses API answers, and nothing more. Lenient on purpose (`nullish`
 * everywhere, unknown keys ignored): Responses servers other than OpenAI's (vLLM, Ollama, LM Studio,
 * OpenRouter, LiteLLM) differ in what they send, and a field we do not read must never fail a request.
 * Stream events and output items are typed by these schemas but not parsed with them: the decoder
 * checks shapes by hand, once per token for deltas and once per item for the rest.
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
});

/** One `output` item: the fields of `message`, `reasoning` and `function_call` in one lenient shape. */
export const outputItemSchema = z.object({
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
});

const responseErrorSchema = z.object({
  message: z.string().nullish(),
  code: z.string().nullish(),
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

/**
 * A stream event: the fields of every event type we read in one lenient shape, told apart by `type`
 * (`response.output_text.delta`, `response.output_item.added`, `response.completed`, `error`, …).
 */
export const responsesStreamEventSchema = z.object({
  type: z.string(),
  output_index: z.number().nullish(),
  item_id: z.string().nullish(),
  /** Text, refusal, reasoning and argument deltas. */
  delta: z.string().nullish(),
  /** Which summary part a `response.reasoning_summary_text.delta` belongs to. */
  summary_index: z.number().nullish(),
  /** Which content part a `response.reasoning_text.delta` belongs to. */
  content_index: z.number().nullish(),
  /** `response.output_item.added` / `.done`. */
  item: outputItemSchema.nullish(),
  /** `response.function_call_arguments.done`. */
  name: z.string().nullish(),
  arguments: z.string().nullish(),
  /** `response.completed`, `.incomplete` and `.failed`. */
  response: responseSchema.nullish(),
  /** The `error` event: flat as OpenAI sends it, or nested as some servers do. */
  message: z.string().nullish(),
  code: z.string().nullish(),
  error: responseErrorSchema.nullish(),
});

export type ResponsesUsage = z.infer<typeof responsesUsageSchema>;
export type ResponsesOutputItem = z.infer<typeof outputItemSchema>;
export type ResponsesResponse = z.infer<typeof responseSchema>;
export type ResponsesStreamEvent = z.infer<typeof responsesStreamEventSchema>;
