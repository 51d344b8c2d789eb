import { describe, expect, it } from "vitest";
import { decodeChatRequest } from "../../../src/wire/chat/decode.ts";
import { isPlainChatRequest } from "../../../src/wire/chat/request-shape.ts";
import { chatRequestSchema } from "../../../src/wire/chat/schema.ts";
import { limits } from "../../../src/wire/limits.ts";

/**
 * The hand check stands in for zod on the hot path: it may leave more to zod than zod refuses, never
 * accept what zod refuses, and a request it accepts decodes exactly as zod's output of it does.
 */

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
];

const leftToZodButValid: unknown[] = [
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

describe("isPlainChatRequest", () => {
  it.each(accepted.map((body) => [label(body), body]))("accepts, as zod does, and decodes the same: %s", (_, body) => {
    const parsed = chatRequestSchema.safeParse(body);
    expect(parsed.success).toBe(true);
    expect(isPlainChatRequest(body)).toBe(true);
    // zod's output is stripped of unknown fields; decoding either gives the same request.
    expect(decodeChatRequest(body)).toEqual(decodeChatRequest(parsed.data));
  });

  it.each(leftToZodButValid.map((body) => [label(body), body]))("leaves to zod, which accepts: %s", (_, body) => {
    expect(isPlainChatRequest(body)).toBe(false);
    expect(chatRequestSchema.safeParse(body).success).toBe(true);
  });

  it.each(refused.map((body) => [label(body), body]))("refuses what zod refuses, with zod's error: %s", (_, body) => {
    expect(chatRequestSchema.safeParse(body).success).toBe(false);
    expect(isPlainChatRequest(body)).toBe(false);
    expect(() => decodeChatRequest(body)).toThrow(expect.objectContaining({ status: 400 }));
  });
});
