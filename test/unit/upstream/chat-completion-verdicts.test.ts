import { describe, expect, it } from "vitest";
import { decodeChatJson } from "../../../src/upstream/chat/decode-json.ts";

/** Which non-stream Chat bodies the decoder reads and which are a 502: `chatCompletionSchema`'s verdicts, at the edges. */

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
  {
    choices: [
      {
        message: {
          content: [
            { type: "text", text: "a" },
            { type: "image", text: null },
          ],
        },
        finish_reason: null,
      },
    ],
    usage: null,
  },
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

describe("chat completion verdicts", () => {
  it.each(accepted.map((body) => [JSON.stringify(body), body]))("reads %s", (_, body) => {
    expect(decodeChatJson(body).at(-1)).toMatchObject({ type: "step.completed" });
  });

  it.each(refused.map((body) => [JSON.stringify(body), body]))("refuses with a 502: %s", (_, body) => {
    expect(() => decodeChatJson(body)).toThrow(expect.objectContaining({ status: 502, code: "upstream_error" }));
  });
});
