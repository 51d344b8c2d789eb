import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { definePlugin, defineTool, HermesError, type HermesEvent } from "../../sdk/index.ts";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { startProxy, type TestProxy } from "../helpers/proxy.ts";
import { parseSse, sseJson } from "../helpers/sse.ts";

/** Two calls that can only finish if they run at the same time: each waits for the other to start. */
function barrier() {
  let arrived = 0;
  let release: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    release = resolve;
  });
  return async () => {
    arrived++;
    if (arrived === 2) release();
    await Promise.race([all, new Promise((_, reject) => setTimeout(() => reject(new Error("ran alone")), 2_000))]);
  };
}

describe("the agent loop runs server tools (through Chat Completions)", () => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;
  const seen: HermesEvent[] = [];
  const ended: string[] = [];
  let meet = barrier();
  let abortedBy: unknown;
  let onSlowStarted: () => void = () => {};

  const add = defineTool({
    name: "add",
    description: "Adds two numbers",
    parameters: z.object({ a: z.number(), b: z.number() }),
    emoji: "➕",
    label: ({ a, b }) => `Adding ${a} and ${b}`,
    execute: ({ a, b }) => ({ sum: a + b }),
  });
  const boom = defineTool({
    name: "boom",
    description: "Always fails",
    execute: () => {
      throw new Error("kaboom");
    },
  });
  const meeting = defineTool({
    name: "meet",
    description: "Waits for a second call to start",
    parameters: z.object({ who: z.string() }),
    execute: async ({ who }) => {
      await meet();
      return `${who} met`;
    },
  });
  const slow = defineTool({
    name: "slow",
    description: "Never finishes by itself",
    timeoutMs: 10_000,
    execute: (_args, { signal }) =>
      new Promise((_, reject) => {
        onSlowStarted();
        signal.addEventListener("abort", () => {
          abortedBy = signal.reason;
          reject(signal.reason);
        });
      }),
  });
  const sleepy = defineTool({ name: "sleepy", description: "Hangs past its limit", timeoutMs: 50, execute: () => new Promise(() => {}) });
  const guarded = defineTool({ name: "delete_files", description: "Needs a person", needsApproval: true, execute: () => "deleted" });

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    proxy = await startProxy({
      upstream: { baseURL: upstream.url, model: "fake-model", maxRetries: 0 },
      agent: { maxIterations: 3 },
      plugins: [
        definePlugin({ name: "math", tools: [add, boom, meeting] }),
        [slow, false, null, [sleepy]],
        undefined,
        definePlugin({
          name: "observer",
          tools: [guarded],
          hooks: {
            onEvent: (event) => void seen.push(event),
            onRunEnd: (run, end) => void ended.push(`${run.runId.slice(0, 9)} ${end.type}`),
            onRunStart: (run) => {
              if (run.input.items.some((item) => item.type === "message" && JSON.stringify(item).includes("forbidden")))
                throw new HermesError("This run is refused by policy", { status: 403, code: "policy_refused" });
            },
          },
        }),
      ],
    });
  });
  afterEach(() => {
    upstream.reset();
    seen.length = 0;
    ended.length = 0;
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  const ask = (content: string, extra: Record<string, unknown> = {}) =>
    proxy.client.chat.completions.create({ model: "hermes-agent", messages: [{ role: "user", content }], ...extra });

  it("sends the server tools' schemas upstream, runs a call and feeds the result back as a tool message", async () => {
    upstream.enqueue(
      { text: "Let me add.", toolCalls: [{ id: "call_add", name: "add", arguments: { a: 2, b: 3 } }], usage: { inputTokens: 10, outputTokens: 4 } },
      {
        text: "The sum is 5.",
        usage: { inputTokens: 20, outputTokens: 5 },
      },
    );
    const completion = await ask("2 + 3?");
    expect(completion.choices[0]?.message.content).toBe("Let me add.\n\nThe sum is 5.");
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(completion.choices[0]?.message.tool_calls).toBeUndefined();
    expect(completion.usage).toMatchObject({ prompt_tokens: 30, completion_tokens: 9, total_tokens: 39 });

    const first = upstream.requests[0]?.body;
    const addTool = first.tools.find((tool: { function: { name: string } }) => tool.function.name === "add");
    expect(addTool).toEqual({
      type: "function",
      function: {
        name: "add",
        description: "Adds two numbers",
        parameters: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] },
      },
    });
    expect(upstream.requests[1]?.body.messages.slice(-3)).toEqual([
      { role: "user", content: "2 + 3?" },
      {
        role: "assistant",
        content: "Let me add.",
        tool_calls: [{ id: "call_add", type: "function", function: { name: "add", arguments: '{"a":2,"b":3}' } }],
      },
      { role: "tool", tool_call_id: "call_add", content: '{"sum":5}' },
    ]);
  });

  it("streams tool progress as hermes.tool.progress events, never inside delta.content", async () => {
    upstream.enqueue({ toolCalls: [{ id: "call_p", name: "add", arguments: { a: 1, b: 1 } }] }, { text: "Two." });
    const response = await fetch(`${proxy.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "hermes-agent", stream: true, messages: [{ role: "user", content: "1+1" }] }),
    });
    const body = await response.text();
    const progress = parseSse(body).filter((frame) => frame.event === "hermes.tool.progress");
    // The original server's keys, on an object that is also an empty `chat.completion.chunk`.
    const chunk = { id: expect.stringMatching(/^chatcmpl-/), object: "chat.completion.chunk", created: expect.any(Number), model: "hermes-agent", choices: [] };
    expect(progress.map((frame) => JSON.parse(frame.data))).toEqual([
      { ...chunk, tool: "add", emoji: "➕", label: "Adding 1 and 1", toolCallId: "call_p", status: "running" },
      { ...chunk, tool: "add", toolCallId: "call_p", status: "completed", isError: false, durationMs: expect.any(Number) },
    ]);
    const chunks = sseJson<{ choices: { delta: { content?: string; tool_calls?: unknown } }[] }>(
      parseSse(body)
        .filter((frame) => frame.event === undefined)
        .map((frame) => `data: ${frame.data}\n\n`)
        .join(""),
    );
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")).toBe("Two.");
    expect(chunks.some((chunk) => chunk.choices[0]?.delta.tool_calls !== undefined)).toBe(false);
  });

  it("runs parallel calls concurrently and returns outputs in call order", async () => {
    meet = barrier();
    upstream.enqueue(
      {
        toolCalls: [
          { id: "call_1", name: "meet", arguments: { who: "ann" } },
          { id: "call_2", name: "meet", arguments: { who: "bob" } },
        ],
      },
      { text: "Both met." },
    );
    const completion = await ask("meet");
    expect(completion.choices[0]?.message.content).toBe("Both met.");
    expect(upstream.requests[1]?.body.messages.slice(-2)).toEqual([
      { role: "tool", tool_call_id: "call_1", content: "ann met" },
      { role: "tool", tool_call_id: "call_2", content: "bob met" },
    ]);
  });

  it("turns a throwing tool and invalid arguments into error outputs the model reads, and goes on", async () => {
    upstream.enqueue(
      {
        toolCalls: [
          { id: "call_boom", name: "boom", arguments: {} },
          { id: "call_bad", name: "add", arguments: { a: "one" } },
          { id: "call_json", name: "add", arguments: "{not json" },
        ],
      },
      { text: "Sorry." },
    );
    const completion = await ask("break things");
    expect(completion.choices[0]?.message.content).toBe("Sorry.");
    const toolMessages = upstream.requests[1]?.body.messages.filter((message: { role: string }) => message.role === "tool");
    expect(toolMessages[0]).toEqual({ role: "tool", tool_call_id: "call_boom", content: "Error from boom: kaboom" });
    expect(toolMessages[1].content).toMatch(/^Invalid arguments for add: a: .*number.*; b: /);
    expect(toolMessages[2].content).toBe("Invalid arguments for add: not valid JSON. Send a JSON object matching the tool's parameters.");
    const completed = seen.filter((event) => event.type === "tool.completed");
    expect(completed.map((event) => event.type === "tool.completed" && event.isError)).toEqual([true, true, true]);
  });

  it("gives a hung tool its time limit, then an error output", async () => {
    upstream.enqueue({ toolCalls: [{ id: "call_s", name: "sleepy", arguments: {} }] }, { text: "It timed out." });
    const completion = await ask("sleep");
    expect(completion.choices[0]?.message.content).toBe("It timed out.");
    expect(upstream.requests[1]?.body.messages.at(-1)).toEqual({ role: "tool", tool_call_id: "call_s", content: "Error from sleepy: timed out after 50 ms" });
  });

  it("stops at maxIterations as incomplete (finish_reason length)", async () => {
    upstream.script(() => ({ toolCalls: [{ name: "add", arguments: { a: 1, b: 2 } }] }));
    const completion = await ask("loop forever");
    expect(upstream.requests).toHaveLength(3);
    expect(completion.choices[0]?.finish_reason).toBe("length");
    const end = seen.find((event) => event.type === "run.completed");
    expect(end).toMatchObject({ status: "incomplete", incompleteReason: "max_iterations" });
  });

  it("runs server calls first, then hands the client's calls back", async () => {
    upstream.enqueue({
      toolCalls: [
        { id: "call_server", name: "add", arguments: { a: 4, b: 4 } },
        { id: "call_client", name: "get_weather", arguments: { city: "Oslo" } },
      ],
    });
    const completion = await ask("both", { tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }] });
    expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
    expect(completion.choices[0]?.message.tool_calls).toEqual([
      { id: "call_client", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } },
    ]);
    expect(upstream.requests).toHaveLength(1);
    expect(seen.some((event) => event.type === "tool.completed" && event.callId === "call_server" && event.output === '{"sum":8}')).toBe(true);
    expect(upstream.requests[0]?.body.tools.map((tool: { function: { name: string } }) => tool.function.name)).toContain("get_weather");
  });

  it("keeps the server call's result when the client answers its own call of the same step", async () => {
    const tools = [{ type: "function" as const, function: { name: "get_weather", parameters: { type: "object" } } }];
    const opening = { role: "user" as const, content: "both, then answer" };
    upstream.enqueue({
      toolCalls: [
        { id: "call_server_2", name: "add", arguments: { a: 2, b: 3 } },
        { id: "call_client_2", name: "get_weather", arguments: { city: "Bergen" } },
      ],
    });
    const first = await proxy.client.chat.completions.create({ model: "hermes-agent", messages: [opening], tools });
    const handedBack = first.choices[0]!.message;
    expect(handedBack.tool_calls?.map((call) => call.id)).toEqual(["call_client_2"]);

    // The client resends the history it keeps, with its own call answered: no trace of the server's call.
    upstream.enqueue({ text: "Rain, and the sum is 5." });
    const second = await proxy.client.chat.completions.create({
      model: "hermes-agent",
      messages: [opening, handedBack, { role: "tool", tool_call_id: "call_client_2", content: "rain" }],
      tools,
    });
    expect(second.choices[0]?.message.content).toBe("Rain, and the sum is 5.");
    const sent = upstream.requests[1]!.body.messages as { role: string; tool_calls?: { id: string }[]; tool_call_id?: string; content?: string }[];
    expect(sent.map((message) => message.role)).toEqual(["user", "assistant", "tool", "tool"]);
    expect(sent[1]!.tool_calls!.map((call) => call.id)).toEqual(["call_client_2", "call_server_2"]);
    expect(sent.slice(2).map((message) => [message.tool_call_id, message.content])).toEqual([
      ["call_server_2", '{"sum":5}'],
      ["call_client_2", "rain"],
    ]);
  });

  it("forces a tool call only on the first step, so a required call cannot loop", async () => {
    upstream.enqueue({ toolCalls: [{ id: "call_req", name: "add", arguments: { a: 1, b: 1 } }] }, { text: "Done." });
    const completion = await ask("add please", { tool_choice: "required" });
    expect(completion.choices[0]?.message.content).toBe("Done.");
    expect(upstream.requests.map((request) => request.body.tool_choice)).toEqual(["required", "auto"]);
  });

  it("refuses a tool that needs approval on Chat Completions, with a text the model sees", async () => {
    upstream.enqueue({ toolCalls: [{ id: "call_del", name: "delete_files", arguments: {} }] }, { text: "I cannot." });
    await ask("delete");
    expect(upstream.requests[1]?.body.messages.at(-1).content).toMatch(/^delete_files was not run: it needs a person's approval/);
  });

  it("aborts a running tool when the client goes away", async () => {
    upstream.enqueue({ toolCalls: [{ id: "call_slow", name: "slow", arguments: {} }] });
    abortedBy = undefined;
    const started = new Promise<void>((resolve) => {
      onSlowStarted = resolve;
    });
    const controller = new AbortController();
    const request = fetch(`${proxy.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "hermes-agent", stream: true, messages: [{ role: "user", content: "slow" }] }),
      signal: controller.signal,
    }).then((response) => response.text());
    await started;
    controller.abort();
    await request.catch(() => {});
    await expect.poll(() => abortedBy).toBeDefined();
    expect(upstream.requests).toHaveLength(1);
  });

  it("rejects a client tool named like a server tool with a 400", async () => {
    const error = await ask("x", { tools: [{ type: "function", function: { name: "add" } }] }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 400, code: "tool_name_conflict", param: "tools[0]" });
    expect(upstream.requests).toHaveLength(0);
  });

  it("lets an onRunStart hook refuse a run with its own 4xx", async () => {
    const error = await ask("this is forbidden").catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 403, code: "policy_refused" });
    expect(upstream.requests).toHaveLength(0);
  });

  it("shows hooks every event in order, ending with the terminal event", async () => {
    upstream.enqueue({ text: "hi" });
    await ask("hello");
    expect(seen[0]?.type).toBe("run.started");
    expect(seen.at(-1)?.type).toBe("run.completed");
    expect(ended).toEqual(["chatcmpl- run.completed"]);
  });
});
