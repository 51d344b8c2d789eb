import { describe, expect, it } from "vitest";
import { HermesError } from "../../../src/protocol/index.ts";
import { compactResponse, decodeResponsesRequest, defaultSettings, encodeResponse, expandResponse } from "../../../src/wire/responses/index.ts";
import { RunCollector } from "../../../src/runtime/collect.ts";

let counter = 0;
const newId = (prefix: string) => `${prefix}${++counter}`;

describe("responses request decoder", () => {
  it("turns every input item type into protocol items, keeping given ids", () => {
    const decoded = decodeResponsesRequest(
      {
        input: [
          { role: "system", content: "sys" },
          {
            type: "message",
            id: "msg_keep",
            role: "user",
            content: [
              { type: "input_text", text: "hi" },
              { type: "input_image", image_url: "data:image/png;base64,AAAA" },
            ],
          },
          { role: "assistant", content: [{ type: "output_text", text: "hello", annotations: [] }] },
          { type: "function_call", call_id: "c1", name: "f", arguments: "{}" },
          { type: "function_call_output", call_id: "c1", output: [{ type: "input_text", text: "out" }] },
          { type: "reasoning", summary: [{ type: "summary_text", text: "why" }] },
          { type: "item_reference", id: "msg_old" },
        ],
      },
      newId,
    );
    expect(decoded.input).toEqual([
      { type: "message", id: expect.any(String), role: "system", content: [{ type: "input_text", text: "sys" }] },
      {
        type: "message",
        id: "msg_keep",
        role: "user",
        content: [
          { type: "input_text", text: "hi" },
          { type: "input_image", image_url: "data:image/png;base64,AAAA" },
        ],
      },
      { type: "message", id: expect.any(String), role: "assistant", content: [{ type: "output_text", text: "hello" }] },
      { type: "function_call", id: expect.any(String), call_id: "c1", name: "f", arguments: "{}" },
      { type: "function_call_output", id: expect.any(String), call_id: "c1", output: "out" },
      { type: "reasoning", id: expect.any(String), text: "", summary: ["why"] },
      { type: "item_reference", id: "msg_old" },
    ]);
    expect(decoded.settings).toEqual(defaultSettings);
  });

  it("maps settings onto the run and refuses contradictions", () => {
    const decoded = decodeResponsesRequest(
      {
        input: "x",
        stream: "true",
        tools: [{ type: "function", name: "f", parameters: { type: "object" } }],
        tool_choice: { type: "function", name: "f" },
        max_output_tokens: 10,
        text: { format: { type: "json_object" } },
        reasoning: { effort: "high" },
      },
      newId,
    );
    expect(decoded.stream).toBe(true);
    expect(decoded.run).toMatchObject({
      tools: [{ name: "f", parameters: { type: "object" } }],
      toolChoice: { type: "function", name: "f" },
      maxOutputTokens: 10,
      textFormat: { type: "json_object" },
      reasoningEffort: "high",
    });
    const both = (() => {
      try {
        decodeResponsesRequest({ input: "x", conversation: "c", previous_response_id: "resp_1" }, newId);
      } catch (error) {
        return error;
      }
    })();
    expect(HermesError.is(both) && both.param).toBe("conversation");
    expect(() => decodeResponsesRequest({ input: "x", background: true, store: false }, newId)).toThrow(/Background/);
  });
});

describe("stored responses", () => {
  it("compacts to far fewer bytes and expands back to the same object", () => {
    const collector = new RunCollector();
    for (const event of [
      { type: "run.started", runId: "resp_9", model: "m", createdAt: 1 },
      { type: "message.started", itemId: "msg_9" },
      { type: "message.completed", itemId: "msg_9", text: "answer" },
      { type: "run.completed", status: "completed", finishReason: "stop", usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 } },
    ] as const)
      collector.add(event);
    const response = encodeResponse(collector.result, {
      id: "resp_9",
      createdAt: 1,
      model: "m",
      settings: { ...defaultSettings, temperature: 0.2, metadata: { a: "b" } },
    });
    const compact = compactResponse(response);
    expect(compact.settings).toEqual({ temperature: 0.2, metadata: { a: "b" } });
    expect(JSON.stringify(compact).length).toBeLessThan(JSON.stringify(response).length / 2);
    expect(expandResponse(compact)).toEqual(response);
  });
});
