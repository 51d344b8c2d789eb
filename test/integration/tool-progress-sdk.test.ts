import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import calculator from "../../plugins/tool-calculator/index.ts";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { startProxy, type TestProxy } from "../helpers/proxy.ts";
import { parseSse } from "../helpers/sse.ts";

/**
 * Server tool progress, read by the real `openai` SDK: its stream parser hands every `data:` frame
 * whose event name does not start with `thread.` to the caller as a chunk, `hermes.tool.progress`
 * included. Each progress payload is therefore also a valid `chat.completion.chunk` with no choices.
 */
describe("server tool progress with the openai SDK", () => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    proxy = await startProxy({ upstream: { baseURL: upstream.url, model: "fake-model" }, plugins: [calculator()] });
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  const toolTurn = () => upstream.enqueue({ toolCalls: [{ id: "call_calc", name: "calculate", arguments: { expression: "6 * 7" } }] }, { text: "It is 42." });
  const messages = [{ role: "user" as const, content: "What is 6 * 7?" }];

  /** What the upstream's second call got back from the tool: the calculator really ran. */
  const toolResultSent = () => {
    const second = upstream.requests[1]?.body as { messages: { role: string; content: unknown; tool_call_id?: string }[] };
    return second.messages.find((message) => message.role === "tool");
  };

  it("iterates chat.completions.create({ stream: true }) without a throw, progress chunks having no choices", async () => {
    toolTurn();
    const stream = await proxy.client.chat.completions.create({ model: "hermes-agent", stream: true, messages });
    let text = "";
    const progress: Record<string, unknown>[] = [];
    for await (const chunk of stream) {
      expect(chunk.object).toBe("chat.completion.chunk");
      expect(Array.isArray(chunk.choices)).toBe(true);
      if (chunk.choices.length === 0) progress.push(chunk as unknown as Record<string, unknown>);
      text += chunk.choices[0]?.delta.content ?? "";
    }
    expect(text).toBe("It is 42.");
    expect(progress.map((chunk) => [chunk.tool, chunk.status, chunk.toolCallId])).toEqual([
      ["calculate", "running", "call_calc"],
      ["calculate", "completed", "call_calc"],
    ]);
    expect(progress[0]).toMatchObject({ emoji: "🧮", label: "Calculating 6 * 7" });
    expect(toolResultSent()).toMatchObject({ tool_call_id: "call_calc", content: expect.stringContaining("42") });
    expect(upstream.requests).toHaveLength(2);
  });

  it("gives chat.completions.stream() its finalChatCompletion", async () => {
    toolTurn();
    const stream = proxy.client.chat.completions.stream({ model: "hermes-agent", messages });
    const deltas: string[] = [];
    stream.on("content.delta", ({ delta }) => deltas.push(delta));
    const final = await stream.finalChatCompletion();
    expect(final.choices).toHaveLength(1);
    expect(final.choices[0]).toMatchObject({ index: 0, finish_reason: "stop", message: { role: "assistant", content: "It is 42." } });
    expect(final.id).toMatch(/^chatcmpl-/);
    expect(deltas.join("")).toBe("It is 42.");
    expect(toolResultSent()).toMatchObject({ tool_call_id: "call_calc" });
  });

  it("still names the frames hermes.tool.progress, with the original server's keys, for a raw SSE reader", async () => {
    toolTurn();
    const response = await fetch(`${proxy.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "hermes-agent", stream: true, messages }),
    });
    const frames = parseSse(await response.text());
    const progress = frames.filter((frame) => frame.event === "hermes.tool.progress").map((frame) => JSON.parse(frame.data) as Record<string, unknown>);
    expect(progress).toHaveLength(2);
    expect(progress[0]).toMatchObject({ tool: "calculate", emoji: "🧮", label: "Calculating 6 * 7", toolCallId: "call_calc", status: "running", choices: [] });
    expect(progress[1]).toMatchObject({ tool: "calculate", toolCallId: "call_calc", status: "completed", choices: [] });
    const first = JSON.parse(frames[0]!.data) as { id: string; created: number; model: string };
    // The same id, created and model as the stream's own chunks: an SDK folding chunks keeps one completion.
    for (const payload of progress)
      expect(payload).toMatchObject({ id: first.id, object: "chat.completion.chunk", created: first.created, model: first.model });
  });

  it("streams a Responses turn with a server tool through responses.stream() to its final response", async () => {
    toolTurn();
    const stream = proxy.client.responses.stream({ model: "hermes-agent", input: "What is 6 * 7?" });
    const types = new Set<string>();
    stream.on("event", (event) => types.add(event.type));
    const final = await stream.finalResponse();
    expect(final.status).toBe("completed");
    expect(final.output_text).toBe("It is 42.");
    expect(final.output.map((item) => item.type)).toEqual(["function_call", "function_call_output", "message"]);
    expect(types.has("response.completed")).toBe(true);
    const stored = await proxy.client.responses.retrieve(final.id);
    expect(stored).toMatchObject({ status: "completed", output_text: "It is 42." });
  });
});
