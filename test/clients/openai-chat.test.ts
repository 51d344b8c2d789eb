import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { CLOCK_NOW, requestsFor, scriptToolRound, toolOutputsOf, useClientProxy } from "../helpers/client-proxy.ts";
import type { FakeUpstream } from "../helpers/fake-upstream.ts";
import { parseSse } from "../helpers/sse.ts";

/**
 * The `openai` Node SDK on Chat Completions while a server tool runs: the model asks for the clock
 * plugin's `get_current_time`, the proxy runs it and feeds the result back, the model answers. Streamed
 * both ways the SDK offers (iterating `create({ stream: true })`, and `chat.completions.stream()` with
 * `finalChatCompletion()`), and not streamed; over a Chat and over a Responses upstream.
 */

const ANSWER = "It is 15:09 UTC.";
const clockCall = { id: "call_clock_1", name: "get_current_time", arguments: { timezone: "UTC" } };

/** A question only this test asks, and the model scripted to call the clock for it, then answer. */
function askClock(upstream: FakeUpstream, name: string): string {
  const question = `What time is it in UTC? (${name})`;
  scriptToolRound(upstream, question, clockCall, ANSWER);
  return question;
}

/** The model got the proxy's tool list, then the clock's answer for the call it made, in the API's own shape. */
function expectClockOutputSent(upstream: FakeUpstream, question: string, api: "chat" | "responses"): void {
  const requests = requestsFor(upstream, question);
  expect(requests.map((request) => request.path)).toEqual(Array(2).fill(api === "chat" ? "/v1/chat/completions" : "/v1/responses"));
  const names = requests[0]!.body.tools.map((tool: { name?: string; function?: { name: string } }) => tool.function?.name ?? tool.name);
  expect(names).toContain("get_current_time");
  expect(toolOutputsOf(requests[1]!)).toEqual([{ callId: "call_clock_1", output: expect.stringContaining(CLOCK_NOW.toISOString().slice(0, 10)) }]);
}

describe.each(["chat", "responses"] as const)("the openai SDK on Chat Completions with a server tool, over a %s upstream", (api) => {
  const setup = useClientProxy(api);
  const client = () => new OpenAI({ baseURL: setup.baseURL, apiKey: setup.apiKey, maxRetries: 0 });

  it("iterates create({ stream: true }) as the SDK's README does", async () => {
    const question = askClock(setup.upstream, `iterate over ${api}`);
    const stream = await client().chat.completions.create({ model: "hermes-agent", messages: [{ role: "user", content: question }], stream: true });

    let text = "";
    const finishReasons: (string | null)[] = [];
    for await (const chunk of stream) {
      // What every user of the SDK writes; a chunk without `choices` makes it a TypeError.
      text += chunk.choices[0]?.delta?.content ?? "";
      if (chunk.choices[0]?.finish_reason) finishReasons.push(chunk.choices[0].finish_reason);
      expect(chunk.object).toBe("chat.completion.chunk");
    }

    expect(text).toBe(ANSWER);
    expect(finishReasons).toEqual(["stop"]);
    expectClockOutputSent(setup.upstream, question, api);
  });

  it("runs chat.completions.stream() to finalChatCompletion()", async () => {
    const question = askClock(setup.upstream, `stream-helper over ${api}`);
    const deltas: string[] = [];
    const runner = client()
      .chat.completions.stream({ model: "hermes-agent", messages: [{ role: "user", content: question }] })
      .on("content", (delta) => deltas.push(delta));

    const completion = await runner.finalChatCompletion();

    expect(completion.choices[0]).toMatchObject({ message: { role: "assistant", content: ANSWER }, finish_reason: "stop" });
    // The server tool ran inside the proxy: the client sees no tool call of its own to answer.
    expect(completion.choices[0]?.message.tool_calls ?? []).toEqual([]);
    expect(deltas.join("")).toBe(ANSWER);
    expectClockOutputSent(setup.upstream, question, api);
  });

  it("answers without streaming", async () => {
    const question = askClock(setup.upstream, `non-stream over ${api}`);
    const completion = await client().chat.completions.create({ model: "hermes-agent", messages: [{ role: "user", content: question }] });

    expect(completion).toMatchObject({ object: "chat.completion", model: "hermes-agent" });
    expect(completion.choices[0]).toMatchObject({ message: { role: "assistant", content: ANSWER }, finish_reason: "stop" });
    expectClockOutputSent(setup.upstream, question, api);
  });

  it("still tells a frontend which tool runs: hermes.tool.progress in the same stream", async () => {
    const question = askClock(setup.upstream, `progress over ${api}`);
    const response = await fetch(`${setup.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${setup.apiKey}`, "x-hermes-session-id": `clients-chat-${api}` },
      body: JSON.stringify({ model: "hermes-agent", messages: [{ role: "user", content: question }], stream: true }),
    });
    expect(response.status).toBe(200);
    const frames = parseSse(await response.text());

    const progress = frames.filter((frame) => frame.event === "hermes.tool.progress").map((frame) => JSON.parse(frame.data));
    expect(progress).toEqual([
      expect.objectContaining({ tool: "get_current_time", emoji: "🕐", label: "Time in UTC", toolCallId: "call_clock_1", status: "running" }),
      expect.objectContaining({ tool: "get_current_time", toolCallId: "call_clock_1", status: "completed" }),
    ]);
    // …and each of those frames is also a chunk any Chat Completions parser takes.
    for (const event of progress)
      expect(event).toMatchObject({
        object: "chat.completion.chunk",
        id: expect.any(String),
        created: expect.any(Number),
        model: expect.any(String),
        choices: [],
      });
    expectClockOutputSent(setup.upstream, question, api);
    // The session keeps the turn: the question, the tool round and the answer.
    const history = JSON.stringify(await setup.stored(`session-items:clients-chat-${api}`));
    expect(history).toContain(question);
    expect(history).toContain(ANSWER);
  });
});
