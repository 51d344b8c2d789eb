import { describe, expect, it } from "vitest";
import { decodeChatRequest } from "../../../src/wire/chat/decode.ts";
import { limits } from "../../../src/wire/limits.ts";

/** Which Chat requests the decoder takes and which it refuses: `chatRequestSchema`'s verdicts, at the edges. */

const messages = [
  { role: "system", content: "Be brief." },
  { role: "user", content: "Hi", name: "ada" },
  { role: "assistant", content: "Hello", refusal: null, reasoning_content: "r" },
  { role: "tool", content: "42", tool_call_id: "call_1" },
  { role: "developer", content: "" },
  { role: "assistant", content: null },
];

const accepted: unknown[] = [
  { model: "gpt-4.1", messages },
  { messages: [{ role: "user", content: "x" }] },
  { model: "m", messages, stream: true, stream_options: { include_usage: true } },
  { model: "m", messages, stream: false, stream_options: null, temperature: 0.2, top_p: 1, max_tokens: 5, max_completion_tokens: null, user: "u" },
  { model: "m", messages, frontend_field: { anything: 1 } },
  { model: "m", messages: [{ role: "user", content: "x", extra: true }], tools: undefined },
  { model: "m", messages, stream: "true" },
  { model: "m", messages, tools: [{ type: "function", function: { name: "f" } }] },
  { model: "m", messages: [{ role: "user", content: [{ type: "text", text: "x" }] }] },
  { model: "m", messages, seed: 1, stop: "\n", n: 1 },
  { model: "m", messages: [{ role: "assistant", content: null, tool_calls: [{ id: "c", function: { name: "f", arguments: "{}" } }] }] },
];

const refused: unknown[] = [
  null,
  [],
  "text",
  {},
  { model: "", messages },
  { model: 1, messages },
  { model: "m", messages: [] },
  { model: "m", messages: {} },
  { model: "m", messages: [null] },
  { model: "m", messages: [{ role: "robot", content: "x" }] },
  { model: "m", messages: [{ role: "user" }] },
  { model: "m", messages: [{ role: "user", content: 1 }] },
  { model: "m", messages: [{ role: "user", content: "x", name: null }] },
  { model: "m", messages: [{ role: "user", content: "x".repeat(limits.textLength + 1) }] },
  { model: "m", messages: [{ role: "tool", content: "x" }] },
  { model: "m", messages: [{ role: "tool", content: "x", tool_call_id: "" }] },
  { model: "m", messages: [{ role: "assistant", content: "x", refusal: 1 }] },
  { model: "m", messages, stream: "maybe" },
  { model: "m", messages, stream_options: { include_usage: "yes" } },
  { model: "m", messages, temperature: 3 },
  { model: "m", messages, top_p: -0.1 },
  { model: "m", messages, max_tokens: 1.5 },
  { model: "m", messages, max_tokens: 0 },
  { model: "m", messages, user: "u".repeat(257) },
  { model: "m", messages, n: 2 },
];

const label = (body: unknown) => JSON.stringify(body)?.slice(0, 120) ?? String(body);

describe("chat request verdicts", () => {
  it.each(accepted.map((body) => [label(body), body]))("accepts %s", (_, body) => {
    expect(() => decodeChatRequest(body)).not.toThrow();
  });

  it.each(refused.map((body) => [label(body), body]))("refuses with a 400: %s", (_, body) => {
    expect(() => decodeChatRequest(body)).toThrow(expect.objectContaining({ status: 400 }));
  });

  it("ignores unknown top-level and message fields, as the schema strips them", () => {
    const body = { model: "m", messages: [{ role: "user", content: "x", extra: true }], frontend_field: { anything: 1 } };
    expect(decodeChatRequest(body)).toEqual(decodeChatRequest({ model: "m", messages: [{ role: "user", content: "x" }] }));
  });
});
