import { describe, expect, it } from "vitest";
import type { Item, RunInput } from "../../../src/protocol/index.ts";
import { encodeResponsesRequest } from "../../../src/upstream/responses/encode-request.ts";

const user = (text: string): Item => ({ type: "message", role: "user", content: [{ type: "input_text", text }] });
const assistant = (text: string): Item => ({ type: "message", role: "assistant", content: [{ type: "output_text", text }] });
const call = (id: string, name: string, args = "{}"): Item => ({ type: "function_call", call_id: id, name, arguments: args });
const output = (id: string, text: string): Item => ({ type: "function_call_output", call_id: id, output: text });

const input = (overrides: Partial<RunInput> = {}): RunInput => ({ model: "gpt-test", items: [user("Hi")], tools: [], ...overrides });

describe("encodeResponsesRequest", () => {
  it("streams with store: false and sends nothing unset", () => {
    expect(encodeResponsesRequest(input())).toEqual({
      model: "gpt-test",
      input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "Hi" }] }],
      stream: true,
      store: false,
    });
  });

  it("sends stream: false for a non-stream call, still with store: false", () => {
    expect(encodeResponsesRequest(input(), { stream: false })).toMatchObject({ stream: false, store: false });
  });

  it("sends instructions as instructions, and system and developer messages in place", () => {
    const body = encodeResponsesRequest(
      input({
        instructions: "Be brief.",
        items: [
          { type: "message", role: "system", content: [{ type: "input_text", text: "Use metric." }] },
          { type: "message", role: "developer", content: [{ type: "input_text", text: "No emoji." }] },
          user("Hi"),
        ],
      }),
    );
    expect(body.instructions).toBe("Be brief.");
    expect(body.input).toEqual([
      { type: "message", role: "system", content: [{ type: "input_text", text: "Use metric." }] },
      { type: "message", role: "developer", content: [{ type: "input_text", text: "No emoji." }] },
      { type: "message", role: "user", content: [{ type: "input_text", text: "Hi" }] },
    ]);
  });

  it("sends the whole history: function calls and outputs as items, reasoning and item ids left out", () => {
    const body = encodeResponsesRequest(
      input({
        items: [
          user("Weather in Paris and Tokyo?"),
          { type: "reasoning", id: "rs_1", text: "Two lookups." },
          { ...assistant("Checking both."), id: "msg_1" },
          { ...call("call_1", "get_weather", '{"city":"Paris"}'), id: "fc_1" },
          call("call_2", "get_weather", '{"city":"Tokyo"}'),
          { ...output("call_1", "18C"), id: "fco_1" },
          output("call_2", "22C"),
          assistant("Paris 18C, Tokyo 22C."),
          user("Thanks"),
        ],
      }),
    );
    expect(body.input).toEqual([
      { type: "message", role: "user", content: [{ type: "input_text", text: "Weather in Paris and Tokyo?" }] },
      { type: "message", role: "assistant", content: "Checking both." },
      { type: "function_call", call_id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' },
      { type: "function_call", call_id: "call_2", name: "get_weather", arguments: '{"city":"Tokyo"}' },
      { type: "function_call_output", call_id: "call_1", output: "18C" },
      { type: "function_call_output", call_id: "call_2", output: "22C" },
      { type: "message", role: "assistant", content: "Paris 18C, Tokyo 22C." },
      { type: "message", role: "user", content: [{ type: "input_text", text: "Thanks" }] },
    ]);
  });

  it("leaves out assistant messages without text and images outside user messages", () => {
    const body = encodeResponsesRequest(
      input({
        items: [
          { type: "message", role: "assistant", content: [] },
          {
            type: "message",
            role: "system",
            content: [
              { type: "input_text", text: "Rules" },
              { type: "input_image", image_url: "https://example.com/a.png" },
            ],
          },
        ],
      }),
    );
    expect(body.input).toEqual([{ type: "message", role: "system", content: [{ type: "input_text", text: "Rules" }] }]);
  });

  it("sends user images as input_image parts with a detail", () => {
    const body = encodeResponsesRequest(
      input({
        items: [
          {
            type: "message",
            role: "user",
            content: [
              { type: "input_text", text: "What is this?" },
              { type: "input_image", image_url: "https://example.com/cat.png", detail: "low" },
              { type: "input_image", image_url: "data:image/png;base64,iVBORw0KGgo=" },
            ],
          },
        ],
      }),
    );
    expect(body.input[0]).toEqual({
      type: "message",
      role: "user",
      content: [
        { type: "input_text", text: "What is this?" },
        { type: "input_image", image_url: "https://example.com/cat.png", detail: "low" },
        { type: "input_image", image_url: "data:image/png;base64,iVBORw0KGgo=", detail: "auto" },
      ],
    });
  });

  it("maps tools flat, non-strict unless asked, and every setting the API has", () => {
    const body = encodeResponsesRequest(
      input({
        tools: [{ name: "get_weather", description: "Weather now", parameters: { type: "object", properties: {} }, strict: true }, { name: "now" }],
        toolChoice: { type: "function", name: "get_weather" },
        parallelToolCalls: false,
        temperature: 0.2,
        topP: 0.9,
        maxOutputTokens: 256,
        textFormat: { type: "json_schema", name: "answer", schema: { type: "object" }, description: "The answer", strict: true },
        reasoningEffort: "low",
        user: "user-1",
        metadata: { team: "a" },
      }),
    );
    expect(body).toEqual({
      model: "gpt-test",
      input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "Hi" }] }],
      tools: [
        { type: "function", name: "get_weather", description: "Weather now", parameters: { type: "object", properties: {} }, strict: true },
        { type: "function", name: "now", parameters: { type: "object", properties: {} }, strict: false },
      ],
      tool_choice: { type: "function", name: "get_weather" },
      parallel_tool_calls: false,
      temperature: 0.2,
      top_p: 0.9,
      max_output_tokens: 256,
      text: { format: { type: "json_schema", name: "answer", schema: { type: "object" }, description: "The answer", strict: true } },
      reasoning: { effort: "low" },
      user: "user-1",
      metadata: { team: "a" },
      stream: true,
      store: false,
    });
  });

  it.each(["auto", "none", "required"] as const)("passes tool_choice %s as is", (toolChoice) => {
    expect(encodeResponsesRequest(input({ tools: [{ name: "now" }], toolChoice })).tool_choice).toBe(toolChoice);
  });

  it("drops what the Responses API has no field for: stop, seed, frequency and presence penalties", () => {
    const body = encodeResponsesRequest(input({ stop: ["END"], seed: 7, frequencyPenalty: 0.1, presencePenalty: 0.3 }));
    expect(Object.keys(body).sort()).toEqual(["input", "model", "store", "stream"]);
  });

  it("raises max_output_tokens to the API's minimum of 16", () => {
    expect(encodeResponsesRequest(input({ maxOutputTokens: 1 })).max_output_tokens).toBe(16);
  });

  it("leaves tool_choice and parallel_tool_calls out without tools, and a plain text format out", () => {
    const body = encodeResponsesRequest(input({ toolChoice: "auto", parallelToolCalls: true, textFormat: { type: "text" } }));
    expect(body).not.toHaveProperty("tools");
    expect(body).not.toHaveProperty("tool_choice");
    expect(body).not.toHaveProperty("parallel_tool_calls");
    expect(body).not.toHaveProperty("text");
  });

  it("maps json_object", () => {
    expect(encodeResponsesRequest(input({ textFormat: { type: "json_object" } })).text).toEqual({ format: { type: "json_object" } });
  });
});
