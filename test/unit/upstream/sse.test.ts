import { describe, expect, it } from "vitest";
import type { UpstreamResponse } from "../../../src/upstream/http.ts";
import { readSseBatches } from "../../../src/upstream/sse.ts";

function responseOf(...chunks: Uint8Array[]): UpstreamResponse {
  return {
    status: 200,
    headers: {},
    contentType: "text/event-stream",
    async *chunks() {
      yield* chunks;
    },
    text: async () => "",
    cancel: () => {},
  };
}

async function read(...chunks: Uint8Array[]) {
  const events: { event?: string; data: string }[] = [];
  for await (const batch of readSseBatches(responseOf(...chunks))) for (const { event, data } of batch) events.push({ event, data });
  return events;
}

const bytes = (text: string) => new TextEncoder().encode(text);

describe("readSseBatches", () => {
  it("decodes UTF-8 split anywhere, a leading BOM split too, as a streaming TextDecoder does", async () => {
    const whole = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes('data: {"content":"héllo 🌍"}\n\nevent: done\r\ndata: [DONE]\r\n\r\n')]);
    const expected = [{ data: '{"content":"héllo 🌍"}' }, { event: "done", data: "[DONE]" }];
    for (let size = 1; size <= 7; size++) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < whole.length; i += size) chunks.push(whole.subarray(i, i + size));
      expect(await read(...chunks)).toEqual(expected.map((e) => ({ event: undefined, ...e })));
    }
  });

  it("replaces broken UTF-8 as TextDecoder does", async () => {
    expect(await read(new Uint8Array([...bytes("data: x"), 0xc3]), bytes("\n\n"))).toEqual([{ event: undefined, data: "x\ufffd" }]);
    expect(await read(new Uint8Array([...bytes("data: "), 0xff, 0xe2, 0x82, ...bytes("y\n\n")]))).toEqual([{ event: undefined, data: new TextDecoder().decode(new Uint8Array([0xff, 0xe2, 0x82])) + "y" }]);
  });
});
