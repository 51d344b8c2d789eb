import { describe, expect, it } from "vitest";
import { isChatCompletion } from "../../../src/upstream/chat/completion-shape.ts";
import { chatCompletionSchema } from "../../../src/upstream/chat/schema.ts";

/** The hand check stands in for zod on the hot path: it may refuse more than zod, never accept more. */

const message = { role: "assistant", content: "Hello", refusal: null, annotations: [] };
const completion = {
  id: "chatcmpl-1",
  object: "chat.completion",
  choices: [{ index: 0, message, logprobs: null, finish_reason: "stop" }],
  usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6, prompt_tokens_details: { cached_tokens: 0 } },
};

const accepted: unknown[] = [
  completion,
  { choices: [{ message: {} }] },
  { choices: [{ message: { content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "f", arguments: "{}" } }] } }] },
  { choices: [{ message: { content: [{ type: "text", text: "a" }, { type: "image", text: null }] }, finish_reason: null }], usage: null },
  { choices: [{ message: { reasoning_content: "r", reasoning: null, refusal: "no" } }], usage: { completion_tokens_details: { reasoning_tokens: 3 } } },
  { choices: [{ message: { content: "a" } }, { message: { content: "b" } }] },
];

const refused: unknown[] = [
  null,
  "text",
  [],
  {},
  { error: { message: "overloaded" } },
  { choices: [] },
  { choices: {} },
  { choices: [null] },
  { choices: [{}] },
  { choices: [{ message: null }] },
  { choices: [{ message: [] }] },
  { choices: [{ message: { content: 42 } }] },
  { choices: [{ message: { content: [{ text: "no type" }] } }] },
  { choices: [{ message: { content: [{ type: "text", text: 1 }] } }] },
  { choices: [{ message: { tool_calls: {} } }] },
  { choices: [{ message: { tool_calls: [{ id: 1, function: { name: "f" } }] } }] },
  { choices: [{ message: { tool_calls: [{ function: { arguments: "{}" } }] } }] },
  { choices: [{ message: { tool_calls: [{ function: null }] } }] },
  { choices: [{ message: { refusal: false } }] },
  { choices: [{ message: {}, finish_reason: 1 }] },
  { choices: [{ message: {} }, { message: { content: 1 } }] },
  { choices: [{ message: {} }], usage: { prompt_tokens: "5" } },
  { choices: [{ message: {} }], usage: [] },
  { choices: [{ message: {} }], usage: { prompt_tokens_details: { cached_tokens: "0" } } },
  { choices: [{ message: {} }], usage: { completion_tokens_details: 3 } },
];

describe("isChatCompletion", () => {
  it.each(accepted.map((body) => [JSON.stringify(body), body]))("accepts what zod accepts: %s", (_, body) => {
    expect(chatCompletionSchema.safeParse(body).success).toBe(true);
    expect(isChatCompletion(body)).toBe(true);
  });

  it.each(refused.map((body) => [JSON.stringify(body), body]))("refuses what zod refuses: %s", (_, body) => {
    expect(chatCompletionSchema.safeParse(body).success).toBe(false);
    expect(isChatCompletion(body)).toBe(false);
  });
});
