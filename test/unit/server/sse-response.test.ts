import { PassThrough, type Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { sseResponse } from "../../../src/server/sse-response.ts";
import { AsyncQueue } from "../../../src/utils/index.ts";

/** The body piped as srvx pipes it into the socket, read to its end. */
async function text(response: { body: unknown }): Promise<string> {
  const socket = new PassThrough();
  (response.body as { pipe(target: Writable): Writable }).pipe(socket);
  let all = "";
  for await (const chunk of socket) all += String(chunk);
  return all;
}

describe("sseResponse, the one SSE writer", () => {
  it("writes what the route pulled first, even past one flush's worth, then the source and the closing frame", async () => {
    const big = "x".repeat(20_000);
    const source = new AsyncQueue<string>();
    source.push("later");
    source.end();
    const response = sseResponse({ buffered: [big, big], source, frame: (item) => `data: ${item}\n\n`, closing: ": closed\n\n", keepaliveMs: 10_000 });
    expect(await text(response as never)).toBe(`data: ${big}\n\ndata: ${big}\n\ndata: later\n\n: closed\n\n`);
  });

  it("takes items one at a time or in batches, and ends a source that throws with the failure frames only", async () => {
    const batches = [["a", "b"], "c"];
    const source: AsyncIterator<string | string[]> = {
      next: async () => (batches.length > 0 ? { done: false, value: batches.shift()! } : Promise.reject(new Error("broken"))),
    };
    const response = sseResponse({ source, frame: (item) => `${item};`, closing: "never", failed: () => "failed;", keepaliveMs: 10_000 });
    expect(await text(response as never)).toBe("a;b;c;failed;");
  });
});
