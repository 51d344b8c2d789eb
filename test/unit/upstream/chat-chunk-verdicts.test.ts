import { describe, expect, it } from "vitest";
import type { HermesEvent } from "../../../src/protocol/index.ts";
import type { NewId } from "../../../src/utils/index.ts";
import { ChatStreamDecoder, isTextOnly } from "../../../src/upstream/chat/decode-stream.ts";
import { chatChunkDeltaSchema } from "../../../src/upstream/chat/schema.ts";

/**
 * The stream decoder reads a text-only delta without asking `chatChunkDeltaSchema` (`isTextOnly`).
 * That is only right if the shortcut never accepts what the schema refuses, and if a delta read
 * either way decodes to the same events.
 */

const deltas: object[] = [
  { content: "Hello" },
  { content: "" },
  { role: "assistant", content: "Hi" },
  { role: 7, content: "role is a key the schema does not read" },
  { content: "a\nb \u00e9 \ud83d\ude00" },
  { role: "assistant" },
  {},
  { content: null },
  { content: 42 },
  { content: ["not", "parts"] },
  { content: [{ type: "text", text: "part" }] },
  { content: "text", refusal: null },
  { content: "text", reasoning_content: "thinking" },
  { reasoning: "thinking" },
  { content: "text", tool_calls: null },
  { tool_calls: [{ index: 0, id: "call_1", function: { name: "f", arguments: "" } }] },
  { content: "text", extra: "a key the schema does not read either" },
];

const sequentialIds = (): NewId => {
  let n = 0;
  return (prefix) => `${prefix}${++n}`;
};

/** A stream of one chunk around `delta` in a steady envelope, read through `pushEvent` (the parser learns the envelope on the first chunk). */
function decodeStream(delta: object, viaEvents: boolean): HermesEvent[] | "refused" {
  const decoder = new ChatStreamDecoder(sequentialIds());
  const events: HermesEvent[] = [];
  const chunk = (d: object, finish: string | null = null) => ({
    id: "c",
    object: "chat.completion.chunk",
    choices: [{ index: 0, delta: d, finish_reason: finish }],
  });
  try {
    decoder.pushEvent(undefined, JSON.stringify(chunk({ role: "assistant", content: "" })), events);
    if (viaEvents) decoder.pushEvent(undefined, JSON.stringify(chunk(delta)), events);
    else decoder.push(chunk(delta), events);
    decoder.pushEvent(undefined, JSON.stringify(chunk({}, "stop")), events);
    decoder.end(events);
  } catch {
    return "refused";
  }
  return events;
}

describe("the text-only shortcut of the Chat stream decoder", () => {
  it.each(deltas.map((delta) => [JSON.stringify(delta), delta]))("%s: the same verdict and events as the schema", (_name, delta) => {
    const schemaAccepts = chatChunkDeltaSchema.safeParse(delta).success;
    if (isTextOnly(delta)) expect(schemaAccepts).toBe(true);
    expect(decodeStream(delta, true)).toEqual(decodeStream(delta, false));
    expect(decodeStream(delta, true) === "refused").toBe(!schemaAccepts);
  });

  it("takes the ordinary text chunk and nothing else", () => {
    expect(deltas.filter((delta) => isTextOnly(delta))).toEqual([
      { content: "Hello" },
      { content: "" },
      { role: "assistant", content: "Hi" },
      { role: 7, content: "role is a key the schema does not read" },
      { content: "a\nb \u00e9 \ud83d\ude00" },
    ]);
  });
});
