import { describe, expect, it } from "vitest";
import { HermesError } from "../../../src/protocol/index.ts";
import { decodeChatRequest } from "../../../src/wire/chat/index.ts";

function decodeError(body: unknown): HermesError {
  try {
    decodeChatRequest(body);
  } catch (error) {
    if (HermesError.is(error)) return error;
    throw error;
  }
  throw new Error("expected a HermesError");
}

describe("chat request decoder", () => {
  it("maps every role onto items, tool calls and tool results included", () => {
    const decoded = decodeChatRequest({
      model: "m",
      messages: [
        { role: "system", content: "be brief" },
        { role: "developer", content: [{ type: "text", text: "dev note" }] },
        {
          role: "user",
          content: [
            { type: "text", text: "look" },
            { type: "image_url", image_url: { url: "https://x/y.png", detail: "low" } },
          ],
        },
        { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "f", arguments: '{"a":1}' } }] },
        { role: "tool", tool_call_id: "call_1", content: "result" },
        { role: "assistant", content: "done", reasoning_content: "hmm" },
      ],
    });
    expect(decoded.input.items).toEqual([
      { type: "message", role: "system", content: [{ type: "input_text", text: "be brief" }] },
      { type: "message", role: "developer", content: [{ type: "input_text", text: "dev note" }] },
      {
        type: "message",
        role: "user",
        content: [
          { type: "input_text", text: "look" },
          { type: "input_image", image_url: "https://x/y.png", detail: "low" },
        ],
      },
      { type: "function_call", call_id: "call_1", name: "f", arguments: '{"a":1}' },
      { type: "function_call_output", call_id: "call_1", output: "result" },
      { type: "reasoning", text: "hmm" },
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "done" }] },
    ]);
  });

  it("passes sampling and output settings through", () => {
    const decoded = decodeChatRequest({
      model: "m",
      messages: [{ role: "user", content: "hi" }],
      stream: "true",
      stream_options: { include_usage: true },
      tools: [{ type: "function", function: { name: "f", description: "d", parameters: { type: "object" }, strict: true } }],
      tool_choice: { type: "function", function: { name: "f" } },
      parallel_tool_calls: false,
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 50,
      max_completion_tokens: 60,
      stop: "END",
      seed: 7,
      frequency_penalty: 0.1,
      presence_penalty: -0.1,
      response_format: { type: "json_schema", json_schema: { name: "s", schema: { type: "object" }, strict: true } },
      reasoning_effort: "low",
      user: "u1",
      metadata: { a: "b" },
      n: 1,
      some_frontend_field: { ignored: true },
    });
    expect(decoded.stream).toBe(true);
    expect(decoded.includeUsage).toBe(true);
    expect(decoded.input).toMatchObject({
      tools: [{ name: "f", description: "d", parameters: { type: "object" }, strict: true }],
      toolChoice: { type: "function", name: "f" },
      parallelToolCalls: false,
      temperature: 0.2,
      topP: 0.9,
      maxOutputTokens: 60,
      stop: ["END"],
      seed: 7,
      frequencyPenalty: 0.1,
      presencePenalty: -0.1,
      textFormat: { type: "json_schema", name: "s", schema: { type: "object" }, strict: true },
      reasoningEffort: "low",
      user: "u1",
      metadata: { a: "b" },
    });
  });

  it("names the field and a stable code in every 400", () => {
    expect(decodeError({}).toInfo()).toMatchObject({ status: 400, param: "messages", code: "invalid_request" });
    expect(decodeError({ messages: [{ role: "user", content: [{ type: "input_audio" }] }] }).toInfo()).toMatchObject({
      code: "unsupported_content_type",
      param: "messages[0].content[0]",
    });
    expect(decodeError({ messages: [{ role: "user", content: "x".repeat(1_000_001) }] }).param).toBe("messages[0].content");
    expect(decodeError({ messages: [{ role: "tool", content: "x" }] }).param).toBe("messages[0].tool_call_id");
    expect(decodeError({ messages: [{ role: "user", content: "x" }], tools: [{ type: "function", function: { name: "bad name!" } }] }).param).toBe(
      "tools[0].function.name",
    );
    expect(decodeError({ messages: [{ role: "user", content: "x" }], stream: "maybe" }).param).toBe("stream");
  });
});
