import type { ChatCompletionCreateParamsBase } from "openai/resources/chat/completions";
import { describe, expect, it } from "vitest";
import type { Item, RunInput } from "../../../src/protocol/index.ts";
import { encodeChatRequest } from "../../../src/upstream/chat/encode-request.ts";

const user = (text: string): Item => ({ type: "message", role: "user", content: [{ type: "input_text", text }] });
const assistant = (text: string): Item => ({ type: "message", role: "assistant", content: [{ type: "output_text", text }] });
const call = (id: string, name: string, args = "{}"): Item => ({ type: "function_call", call_id: id, name, arguments: args });
const output = (id: string, text: string): Item => ({ type: "function_call_output", call_id: id, output: text });

const input = (overrides: Partial<RunInput> = {}): RunInput => ({ model: "gpt-test", items: [user("Hi")], tools: [], ...overrides });

describe("encodeChatRequest", () => {
  it("streams with usage and sends nothing unset", () => {
    expect(encodeChatRequest(input())).toEqual({
      model: "gpt-test",
      messages: [{ role: "user", content: "Hi" }],
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("leaves stream and stream_options out for the non-stream fallback", () => {
    const body = encodeChatRequest(input(), { stream: false });
    expect(body).not.toHaveProperty("stream");
    expect(body).not.toHaveProperty("stream_options");
  });

  it("puts instructions first as a system message and maps developer to system", () => {
    const body = encodeChatRequest(
      input({
        instructions: "Be brief.",
        items: [{ type: "message", role: "developer", content: [{ type: "input_text", text: "Use metric." }] }, user("Hi")],
      }),
    );
    expect(body.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "system", content: "Use metric." },
      { role: "user", content: "Hi" },
    ]);
  });

  it("joins a run of function calls to the assistant text before it, replays reasoning as reasoning_content on it, and maps outputs to role tool", () => {
    const body = encodeChatRequest(
      input({
        items: [
          user("Weather in Paris and Tokyo?"),
          { type: "reasoning", text: "Two lookups." },
          assistant("Checking both."),
          call("call_1", "get_weather", '{"city":"Paris"}'),
          call("call_2", "get_weather", '{"city":"Tokyo"}'),
          output("call_1", "18C"),
          output("call_2", "22C"),
          assistant("Paris 18C, Tokyo 22C."),
        ],
      }),
    );
    expect(body.messages).toEqual([
      { role: "user", content: "Weather in Paris and Tokyo?" },
      {
        role: "assistant",
        content: "Checking both.",
        reasoning_content: "Two lookups.",
        tool_calls: [
          { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
          { id: "call_2", type: "function", function: { name: "get_weather", arguments: '{"city":"Tokyo"}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: "18C" },
      { role: "tool", tool_call_id: "call_2", content: "22C" },
      { role: "assistant", content: "Paris 18C, Tokyo 22C." },
    ]);
  });

  it("gives calls without assistant text a null content", () => {
    const body = encodeChatRequest(input({ items: [user("Time?"), call("call_1", "now"), output("call_1", "noon")] }));
    expect(body.messages[1]).toEqual({
      role: "assistant",
      content: null,
      tool_calls: [{ id: "call_1", type: "function", function: { name: "now", arguments: "{}" } }],
    });
  });

  it("sends content parts only when a message has an image", () => {
    const body = encodeChatRequest(
      input({
        items: [
          {
            type: "message",
            role: "user",
            content: [
              { type: "input_text", text: "What is this?" },
              { type: "input_image", image_url: "https://example.com/cat.png", detail: "low" },
            ],
          },
        ],
      }),
    );
    expect(body.messages[0]).toEqual({
      role: "user",
      content: [
        { type: "text", text: "What is this?" },
        { type: "image_url", image_url: { url: "https://example.com/cat.png", detail: "low" } },
      ],
    });
  });

  it("maps tools and every sampling setting", () => {
    const body = encodeChatRequest(
      input({
        tools: [{ name: "get_weather", description: "Weather now", parameters: { type: "object", properties: {} }, strict: true }, { name: "now" }],
        toolChoice: { type: "function", name: "get_weather" },
        parallelToolCalls: false,
        temperature: 0.2,
        topP: 0.9,
        maxOutputTokens: 256,
        stop: ["END"],
        seed: 7,
        frequencyPenalty: 0.1,
        presencePenalty: 0.3,
        textFormat: { type: "json_schema", name: "answer", schema: { type: "object" }, strict: true },
        reasoningEffort: "low",
        user: "user-1",
        metadata: { team: "a" },
      }),
    );
    expect(body).toMatchObject({
      tools: [
        {
          type: "function",
          function: { name: "get_weather", description: "Weather now", parameters: { type: "object", properties: {} }, strict: true },
        },
        { type: "function", function: { name: "now" } },
      ],
      tool_choice: { type: "function", function: { name: "get_weather" } },
      parallel_tool_calls: false,
      temperature: 0.2,
      top_p: 0.9,
      max_completion_tokens: 256,
      stop: ["END"],
      seed: 7,
      frequency_penalty: 0.1,
      presence_penalty: 0.3,
      response_format: { type: "json_schema", json_schema: { name: "answer", schema: { type: "object" }, strict: true } },
      reasoning_effort: "low",
      user: "user-1",
      metadata: { team: "a" },
    });
  });

  it("leaves tool_choice and parallel_tool_calls out without tools, and a plain text format out", () => {
    const body = encodeChatRequest(input({ toolChoice: "auto", parallelToolCalls: true, textFormat: { type: "text" } }));
    expect(body).not.toHaveProperty("tools");
    expect(body).not.toHaveProperty("tool_choice");
    expect(body).not.toHaveProperty("parallel_tool_calls");
    expect(body).not.toHaveProperty("response_format");
  });

  it("maps json_object", () => {
    // Read as the SDK's request type: what the encoder builds is checked against it where it is built.
    const body = encodeChatRequest(input({ textFormat: { type: "json_object" } })) as ChatCompletionCreateParamsBase;
    expect(body.response_format).toEqual({ type: "json_object" });
  });
});
