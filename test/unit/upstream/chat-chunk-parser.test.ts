import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ChatChunkParser } from "../../../src/upstream/chat/chunk-parser.ts";

/** What the stream decoder reads of a chunk: the parser must never change any of it. */
function readByDecoder(chunk: unknown) {
  const { choices, usage, error } = chunk as { choices?: { delta?: unknown; finish_reason?: unknown }[]; usage?: unknown; error?: unknown };
  return {
    choices: choices?.length,
    delta: choices?.[0]?.delta,
    finish: choices?.[0]?.finish_reason ?? null,
    usage: usage ?? null,
    error: error ?? null,
  };
}

function expectSameAsJsonParse(lines: string[]): void {
  const parser = new ChatChunkParser();
  for (const line of lines) expect(readByDecoder(parser.parse(line))).toEqual(readByDecoder(JSON.parse(line)));
}

const head = `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":`;
const tail = `,"logprobs":null,"finish_reason":null}]}`;
const chunk = (delta: string, after = tail) => `${head}${delta}${after}`;

describe("ChatChunkParser", () => {
  const fixtures = readdirSync(new URL("../../fixtures/upstream/", import.meta.url)).filter((name) => name.startsWith("chat-"));
  it.each(fixtures)("reads %s as JSON.parse does", (name) => {
    const text = readFileSync(new URL(`../../fixtures/upstream/${name}`, import.meta.url), "utf8");
    expectSameAsJsonParse(text.split("\n").filter((line) => line.trim() !== ""));
  });

  it("reads later chunks from their delta alone, with the same result", () => {
    const lines = [chunk(`{"role":"assistant","content":""}`), chunk(`{"content":"a}\\"{["}`), chunk(`{"content":"b","tool_calls":[{"index":0}]}`)];
    expectSameAsJsonParse(lines);
    const parser = new ChatChunkParser();
    parser.parse(lines[0]!);
    // Not the shape JSON.parse builds: only the delta was parsed.
    expect(parser.parse(lines[1]!)).toEqual({ choices: [{ delta: { content: 'a}"{[' }, finish_reason: null }], usage: null });
  });

  it("parses whole what the envelope learnt does not cover", () => {
    expectSameAsJsonParse([
      chunk(`{"content":"a"}`),
      chunk(`{}`, `,"logprobs":null,"finish_reason":"stop"}]}`),
      `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":1}}`,
      // Valid JSON whose span between the learnt prefix and suffix is not one value: a usage hides in it.
      chunk(`{"content":"b"}}],"usage":{"prompt_tokens":2},"x":[{"y":{}`),
      chunk(`{"content":"c"}`, `,"logprobs":null,"finish_reason":null}],"error":{"message":"boom"}}`),
      chunk(`"not an object"`),
      chunk(`{"content":"d"}`),
    ]);
  });

  it("is not fooled by a second delta key, spacing or a changing envelope", () => {
    expectSameAsJsonParse([
      chunk(`{"content":"a"}`, `,"delta":{"content":"z"},"finish_reason":null}]}`),
      chunk(`{"content":"b"}`, `,"delta":{"content":"z"},"finish_reason":null}]}`),
    ]);
    expectSameAsJsonParse([`{"choices": [ {"delta" : {"content":"a"} } ]}`, `{"choices": [ {"delta" : {"content":"b"} } ]}`]);
    expectSameAsJsonParse(Array.from({ length: 8 }, (_, i) => `{"id":"c${i}","choices":[{"delta":{"content":"${i}"}}]}`));
    expectSameAsJsonParse([
      `{"model":"\\"delta\\":{","choices":[{"delta":{"content":"a"}}]}`,
      `{"model":"\\"delta\\":{","choices":[{"delta":{"content":"b"}}]}`,
    ]);
  });

  it("throws on what is not JSON, as JSON.parse does", () => {
    const parser = new ChatChunkParser();
    parser.parse(chunk(`{"content":"a"}`));
    expect(() => parser.parse(chunk(`{"content":`))).toThrow(SyntaxError);
    expect(() => parser.parse("nope")).toThrow(SyntaxError);
  });
});
