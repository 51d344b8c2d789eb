import { z } from "zod";

/**
 * What we read from Chat Completions answers, and nothing more. Lenient on purpose (`nullish`
 * everywhere, unknown keys ignored): OpenAI-compatible servers differ in what they send, and a field
 * we do not read must never fail a request. Every stream chunk is parsed with `chatChunkSchema`, so it
 * stays this small: each field here costs time on every token.
 */

export const chatUsageSchema = z.object({
  prompt_tokens: z.number().nullish(),
  completion_tokens: z.number().nullish(),
  total_tokens: z.number().nullish(),
  prompt_tokens_details: z.object({ cached_tokens: z.number().nullish() }).nullish(),
  completion_tokens_details: z.object({ reasoning_tokens: z.number().nullish() }).nullish(),
});

const errorSchema = z.object({
  message: z.string().nullish(),
  type: z.string().nullish(),
  code: z.union([z.string(), z.number()]).nullish(),
});

export const chatToolCallDeltaSchema = z.object({
  index: z.number().nullish(),
  id: z.string().nullish(),
  function: z
    .object({
      name: z.string().nullish(),
      arguments: z.string().nullish(),
    })
    .nullish(),
});

/** Text as a string, or (Mistral and a few others) as an array of typed parts. */
const contentSchema = z.union([z.string(), z.array(z.object({ type: z.string(), text: z.string().nullish() }))]);

const deltaFields = {
  content: contentSchema.nullish(),
  /** DeepSeek, llama.cpp and older vLLM. */
  reasoning_content: z.string().nullish(),
  /** OpenRouter, Ollama and newer vLLM. */
  reasoning: z.string().nullish(),
  refusal: z.string().nullish(),
};

/** A chunk's `delta`; checked alone when the chunk parser reads the delta without the rest of the chunk. */
export const chatChunkDeltaSchema = z.object({ ...deltaFields, tool_calls: z.array(chatToolCallDeltaSchema).nullish() });

export const chatChunkSchema = z.object({
  choices: z
    .array(
      z.object({
        delta: chatChunkDeltaSchema.nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: chatUsageSchema.nullish(),
  /** Sent mid-stream by OpenAI, vLLM and OpenRouter when generation fails after the headers. */
  error: errorSchema.nullish(),
});

export const chatCompletionSchema = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({
          ...deltaFields,
          tool_calls: z
            .array(
              z.object({
                id: z.string().nullish(),
                function: z.object({ name: z.string(), arguments: z.string().nullish() }),
              }),
            )
            .nullish(),
        }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: chatUsageSchema.nullish(),
});

export type ChatUsage = z.infer<typeof chatUsageSchema>;
export type ChatToolCallDelta = z.infer<typeof chatToolCallDeltaSchema>;
export type ChatChunk = z.infer<typeof chatChunkSchema>;
export type ChatChunkDelta = NonNullable<NonNullable<ChatChunk["choices"]>[number]["delta"]>;
export type ChatCompletion = z.infer<typeof chatCompletionSchema>;
