import type { ResponseStreamEvent } from "openai/resources/responses/responses";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { startProxy, type TestProxy } from "../helpers/proxy.ts";

/** `background: true, stream: true`: streamed as OpenAI does, and re-attachable with `starting_after`. */
describe("background responses that stream", () => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    proxy = await startProxy({ upstream: { baseURL: upstream.url, model: "fake-model" } });
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  const words = Array.from({ length: 12 }, (_, i) => `w${i}`);
  const answer = words.join(" ");
  const deltaText = (events: ResponseStreamEvent[]) => events.map((event) => (event.type === "response.output_text.delta" ? event.delta : "")).join("");

  async function waitForStatus(id: string, status: string) {
    let stored = await proxy.client.responses.retrieve(id);
    for (let i = 0; i < 200 && stored.status !== status; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      stored = await proxy.client.responses.retrieve(id);
    }
    return stored;
  }

  it("streams the whole response with sequence numbers, from response.created to response.completed", async () => {
    upstream.enqueue({ text: answer, delayMs: 5 });
    const stream = await proxy.client.responses.create({ model: "hermes-agent", input: "count", background: true, stream: true });
    const events: ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(events[0]?.type).toBe("response.created");
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    expect(events.at(-1)?.type).toBe("response.completed");
    expect(deltaText(events)).toBe(answer);
    const created = events[0] as Extract<ResponseStreamEvent, { type: "response.created" }>;
    expect(created.response).toMatchObject({ object: "response", background: true });

    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]?.body).toMatchObject({ model: "fake-model", stream: true });
    const stored = await proxy.client.responses.retrieve(created.response.id);
    expect(stored).toMatchObject({ status: "completed", background: true, output_text: answer });
  });

  it("goes on when the client leaves its stream, and re-attaches with responses.retrieve({ stream, starting_after })", async () => {
    upstream.enqueue({ text: answer, delayMs: 40 });
    const stream = await proxy.client.responses.create({ model: "hermes-agent", input: "count slowly", background: true, stream: true });
    const before: ResponseStreamEvent[] = [];
    for await (const event of stream) {
      before.push(event);
      if (event.type === "response.output_text.delta" && before.filter((e) => e.type === "response.output_text.delta").length === 3) break;
    }
    const id = (before[0] as Extract<ResponseStreamEvent, { type: "response.created" }>).response.id;
    const last = before.at(-1)!.sequence_number;
    // Still running on its own: the client's leaving stopped nothing.
    expect((await proxy.client.responses.retrieve(id)).status).toBe("in_progress");

    const resumed = await proxy.client.responses.retrieve(id, { stream: true, starting_after: last });
    const after: ResponseStreamEvent[] = [];
    for await (const event of resumed) after.push(event);
    expect(after[0]?.sequence_number).toBe(last + 1);
    expect(after.map((event) => event.sequence_number)).toEqual(after.map((_, index) => last + 1 + index));
    expect(after.at(-1)?.type).toBe("response.completed");
    expect(deltaText(before) + deltaText(after)).toBe(answer);

    const stored = await waitForStatus(id, "completed");
    expect(stored.output_text).toBe(answer);
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]?.aborted).toBe(false);
  });

  it("replays a finished background response's stream from any sequence number", async () => {
    upstream.enqueue({ text: "short one" });
    const stream = await proxy.client.responses.create({ model: "hermes-agent", input: "x", background: true, stream: true });
    const events: ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const id = (events[0] as Extract<ResponseStreamEvent, { type: "response.created" }>).response.id;
    await waitForStatus(id, "completed");
    const replay = await proxy.client.responses.retrieve(id, { stream: true, starting_after: 1 });
    const again: ResponseStreamEvent[] = [];
    for await (const event of replay) again.push(event);
    expect(again).toEqual(events.slice(2));
  });

  it("is cancelled from its own stream's response id", async () => {
    upstream.enqueue({ text: Array.from({ length: 200 }, (_, i) => `x${i}`).join(" "), delayMs: 20 });
    const stream = await proxy.client.responses.create({ model: "hermes-agent", input: "long", background: true, stream: true });
    let id = "";
    const seen: string[] = [];
    const reading = (async () => {
      for await (const event of stream) {
        seen.push(event.type);
        if (event.type === "response.created") id = event.response.id;
        if (event.type === "response.output_text.delta" && seen.length === 6) await proxy.client.responses.cancel(id);
      }
    })();
    await reading;
    expect(seen.at(-1)).toMatch(/^response\.(failed|incomplete|completed|cancelled)$/);
    const stored = await proxy.client.responses.retrieve(id);
    expect(stored.status).toBe("cancelled");
    await upstream.waitForAbort();
  });
});
