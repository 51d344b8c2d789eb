import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { FakeReply } from "../../helpers/fake-upstream.ts";
import { type FakeUpstream, startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { startProxy, type TestProxy } from "../../helpers/proxy.ts";
import { parseSse } from "../../helpers/sse.ts";

/**
 * Issue 14, item 18: an upstream answer with a wrong-typed field the proxy reads is a 502
 * `upstream_error` (or, once text has gone out, an error frame), never a success with a piece of the
 * answer silently missing.
 */

const responsesEvent = (fields: Record<string, unknown>) => `event: ${String(fields.type)}\ndata: ${JSON.stringify(fields)}\n\n`;
const added = responsesEvent({ type: "response.output_item.added", output_index: 0, item: { id: "msg_1", type: "message", content: [] } });
const text = (delta: unknown, extra: Record<string, unknown> = {}) =>
  responsesEvent({ type: "response.output_text.delta", item_id: "msg_1", output_index: 0, content_index: 0, delta, ...extra });
const completed = (response: unknown) => responsesEvent({ type: "response.completed", response });
const call = { type: "response.output_item.added", output_index: 0, item: { id: "fc_1", type: "function_call", call_id: "call_1", name: "now" } };

/** Responses API streams with one wrong-typed (or missing) field the decoder reads. */
const responsesCases: [string, string[]][] = [
  ["a text delta that is a number", [added, text(5), completed({ status: "completed" })]],
  ["a text delta left out", [added, text(undefined), completed({ status: "completed" })]],
  ["an item id that is a number", [added, text("hi", { item_id: 7 }), completed({ status: "completed" })]],
  [
    "an added item that is a string",
    [responsesEvent({ type: "response.output_item.added", output_index: 0, item: "message" }), completed({ status: "completed" })],
  ],
  [
    "an added item without a type",
    [responsesEvent({ type: "response.output_item.added", output_index: 0, item: { id: "msg_1" } }), completed({ status: "completed" })],
  ],
  [
    "message content that is a string",
    [responsesEvent({ type: "response.output_item.done", output_index: 0, item: { id: "msg_1", type: "message", content: "hi" } }), completed({})],
  ],
  [
    "arguments that are a number",
    [responsesEvent(call), responsesEvent({ type: "response.function_call_arguments.delta", item_id: "fc_1", delta: 5 }), completed({})],
  ],
  ["a tool name that is a number", [responsesEvent({ ...call, item: { ...call.item, name: 5 } }), completed({})]],
  ["a final response that is a string", [added, text("hi"), completed("done")]],
  ["a status that is a number", [added, text("hi"), completed({ status: 200 })]],
  ["usage that is a string", [added, text("hi"), completed({ status: "completed", usage: "lots" })]],
  ["output that is a string", [completed({ status: "completed", output: "hi" })]],
  ["output items that are null", [completed({ status: "completed", output: [null] })]],
  ["a final message whose content is a string", [completed({ status: "completed", output: [{ type: "message", content: "hi" }] })]],
  ["an event whose type is a number", [responsesEvent({ type: 5 }), added, text("hi"), completed({})]],
  ["an event that is an array", ["data: [1,2]\n\n", added, text("hi"), completed({})]],
];

/** Chat Completions answers with a choice that is null, streamed and whole. */
const chatCases: [string, FakeReply][] = [
  ["a JSON completion with choices: [null]", { status: 200, body: { choices: [null] } }],
  [
    "a stream chunk with choices: [null]",
    { sse: ['data: {"choices":[null]}\n\n', 'data: {"choices":[{"delta":{"content":"hi"},"finish_reason":"stop"}]}\n\n', "data: [DONE]\n\n"] },
  ],
  [
    "a stream chunk whose content is a number",
    { sse: ['data: {"choices":[{"delta":{"content":5}}]}\n\n', 'data: {"choices":[{"delta":{},"finish_reason":"stop"}]}\n\n', "data: [DONE]\n\n"] },
  ],
];

for (const api of ["responses", "chat"] as const) {
  describe(`malformed answers from a ${api} upstream, over real sockets`, () => {
    let upstream: FakeUpstream;
    let proxy: TestProxy;

    beforeAll(async () => {
      upstream = await startFakeUpstream();
      // No retries, and a breaker that never opens: each case stands alone.
      proxy = await startProxy({
        upstream: { baseURL: upstream.url, model: "fake-model", api, maxRetries: 0 },
        routing: { circuitBreaker: { failures: 1_000 } },
      });
    });
    afterEach(() => upstream.reset());
    afterAll(async () => {
      await proxy.close();
      await upstream.close();
    });

    const chat = (stream: boolean) =>
      fetch(`${proxy.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", stream, messages: [{ role: "user", content: "hi" }] }),
      });

    const cases: [string, FakeReply][] = api === "responses" ? responsesCases.map(([name, sse]) => [name, { sse }]) : chatCases;
    it.each(cases)("%s: 502 upstream_error, not a success", async (_name, reply) => {
      upstream.enqueue(reply);
      const response = await chat(false);
      const body = (await response.json()) as { error?: { code: string; message: string } };
      expect({ status: response.status, code: body.error?.code }).toEqual({ status: 502, code: "upstream_error" });
      expect(body.error?.message).toMatch(/^The upstream sent (a malformed|a stream event without a type|an unreadable)/);
    });

    it("mid-stream: the text that came first, then an error frame, never finish_reason stop", async () => {
      upstream.enqueue(
        api === "responses"
          ? { sse: [added, text("Hello"), text(" world"), text(42), text("!"), completed({ status: "completed" })], delayMs: 5 }
          : {
              sse: [
                'data: {"choices":[{"delta":{"content":"Hello"}}]}\n\n',
                'data: {"choices":[{"delta":{"content":" world"}}]}\n\n',
                'data: {"choices":[null]}\n\n',
                "data: [DONE]\n\n",
              ],
              delayMs: 5,
            },
      );
      const response = await chat(true);
      expect(response.status).toBe(200);
      const frames = parseSse(await response.text());
      expect(frames.at(-1)!.data).toBe("[DONE]");
      expect(JSON.parse(frames.at(-2)!.data)).toMatchObject({ error: { code: "upstream_error", message: expect.stringMatching(/malformed/) } });
      const chunks = frames.slice(0, -2).map((frame) => JSON.parse(frame.data) as { choices: { delta: { content?: string }; finish_reason: string | null }[] });
      expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")).toBe("Hello world");
      expect(chunks.every((chunk) => chunk.choices[0]?.finish_reason == null)).toBe(true);
    });
  });
}

describe("events the Responses decoder skips by design", () => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    proxy = await startProxy({ upstream: { baseURL: upstream.url, model: "fake-model", api: "responses", maxRetries: 0 } });
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  it("an event type it does not read (a built-in tool's progress) and a built-in tool's item leave the answer whole", async () => {
    upstream.enqueue({
      sse: [
        responsesEvent({ type: "response.web_search_call.searching", output_index: 1, item_id: "ws_1" }),
        added,
        text("Hello"),
        completed({ status: "completed", output: [{ type: "web_search_call", id: "ws_1", status: "completed" }] }),
      ],
    });
    const response = await fetch(`${proxy.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ choices: [{ message: { content: "Hello" }, finish_reason: "stop" }] });
  });
});
