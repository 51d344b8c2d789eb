import { describe, expect, it } from "vitest";
import type { HermesEvent } from "../../../src/protocol/index.ts";
import { SseParser } from "../../../src/upstream/sse.ts";

/** The SSE events of a body fed in these reads, as the parser hands them to a stream decoder. */
function read(...chunks: Uint8Array[]) {
  const events: { event?: string; data: string }[] = [];
  const parser = new SseParser({ done: false, pushEvent: (event, data) => void events.push({ event, data }) });
  const out: HermesEvent[] = [];
  for (const chunk of chunks) parser.feed(chunk, out);
  parser.end(out);
  return events;
}

const bytes = (text: string) => new TextEncoder().encode(text);

describe("SseParser", () => {
  it("decodes UTF-8 split anywhere, a leading BOM split too, as a streaming TextDecoder does", () => {
    const whole = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes('data: {"content":"héllo 🌍"}\n\nevent: done\r\ndata: [DONE]\r\n\r\n')]);
    const expected = [{ data: '{"content":"héllo 🌍"}' }, { event: "done", data: "[DONE]" }];
    for (let size = 1; size <= 7; size++) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < whole.length; i += size) chunks.push(whole.subarray(i, i + size));
      expect(read(...chunks)).toEqual(expected.map((e) => ({ event: undefined, ...e })));
    }
  });

  it("replaces broken UTF-8 as TextDecoder does", () => {
    expect(read(new Uint8Array([...bytes("data: x"), 0xc3]), bytes("\n\n"))).toEqual([{ event: undefined, data: "x\ufffd" }]);
    expect(read(new Uint8Array([...bytes("data: "), 0xff, 0xe2, 0x82, ...bytes("y\n\n")]))).toEqual([
      { event: undefined, data: new TextDecoder().decode(new Uint8Array([0xff, 0xe2, 0x82])) + "y" },
    ]);
  });
});
