import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { defineTool, z } from "../../sdk/index.ts";
import { captureLogs } from "../../src/utils/logger.ts";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fake-upstream.ts";
import { startProxy, type TestProxy } from "../helpers/proxy.ts";
import { sseJson } from "../helpers/sse.ts";

/**
 * Hosted and namespaced tools, opaque items and reasoning, end to end: a real proxy on a real port over
 * the fake upstream speaking the Responses API and Chat Completions. Each test checks what the upstream
 * received, what the client got (stream and JSON), what was stored, and what the next turn sends.
 * The Codex fixtures are the bodies Codex CLI 0.171 sends with its default features (recorded).
 */

const codexTurn1 = JSON.parse(readFileSync(new URL("../fixtures/clients/codex-0.171-turn1.json", import.meta.url), "utf8")) as Record<string, unknown>;
const codexTurn2 = JSON.parse(readFileSync(new URL("../fixtures/clients/codex-0.171-turn2.json", import.meta.url), "utf8")) as Record<string, unknown>;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** An SSE frame as the Responses API writes it. */
const frame = (event: Json) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;

const reasoning = { id: "rs_up1", type: "reasoning", summary: [{ type: "summary_text", text: "**Plan** search, then spawn" }], encrypted_content: "ENC123" };
const webSearch = { id: "ws_up1", type: "web_search_call", status: "completed", action: { type: "search", query: "hermes" } };
const spawnCall = {
  id: "fc_up1",
  type: "function_call",
  status: "completed",
  call_id: "call_spawn",
  name: "multi_agent_v1__spawn_agent",
  arguments: '{"task":"x"}',
};

/** A Responses stream with a summarised, encrypted reasoning item, a web search with its own events, and a namespaced call. */
function hostedStream(): string[] {
  let sequence = 0;
  const f = (event: Json) => frame({ ...event, sequence_number: sequence++ });
  return [
    f({ type: "response.created", response: { id: "resp_up", status: "in_progress", output: [] } }),
    f({ type: "response.output_item.added", output_index: 0, item: { ...reasoning, summary: [], encrypted_content: null } }),
    f({ type: "response.reasoning_summary_part.added", item_id: "rs_up1", output_index: 0, summary_index: 0, part: { type: "summary_text", text: "" } }),
    f({ type: "response.reasoning_summary_text.delta", item_id: "rs_up1", output_index: 0, summary_index: 0, delta: "**Plan** search, then spawn" }),
    f({ type: "response.reasoning_summary_text.done", item_id: "rs_up1", output_index: 0, summary_index: 0, text: "**Plan** search, then spawn" }),
    f({ type: "response.output_item.done", output_index: 0, item: reasoning }),
    f({ type: "response.output_item.added", output_index: 1, item: { ...webSearch, status: "in_progress" } }),
    f({ type: "response.web_search_call.in_progress", item_id: "ws_up1", output_index: 1 }),
    f({ type: "response.web_search_call.searching", item_id: "ws_up1", output_index: 1 }),
    f({ type: "response.web_search_call.completed", item_id: "ws_up1", output_index: 1 }),
    f({ type: "response.output_item.done", output_index: 1, item: webSearch }),
    f({ type: "response.output_item.added", output_index: 2, item: { ...spawnCall, arguments: "", status: "in_progress" } }),
    f({ type: "response.function_call_arguments.delta", item_id: "fc_up1", output_index: 2, delta: spawnCall.arguments }),
    f({ type: "response.output_item.done", output_index: 2, item: spawnCall }),
    f({
      type: "response.completed",
      response: {
        id: "resp_up",
        status: "completed",
        output: [reasoning, webSearch, spawnCall],
        usage: { input_tokens: 3, output_tokens: 4, total_tokens: 7 },
      },
    }),
  ];
}

const namespaceTool = {
  type: "namespace",
  name: "multi_agent_v1",
  description: "Sub-agents.",
  tools: [
    {
      type: "function",
      name: "spawn_agent",
      description: "Spawns one",
      parameters: { type: "object", properties: { task: { type: "string" } } },
      strict: false,
    },
  ],
};
const webSearchTool = { type: "web_search", external_web_access: false };

async function post(proxy: TestProxy, body: unknown): Promise<Response> {
  return fetch(`${proxy.url}/v1/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

async function stored(proxy: TestProxy, id: string): Promise<Json> {
  const response = await fetch(`${proxy.url}/v1/responses/${id}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Json;
}

describe("over a Responses upstream", () => {
  let fake: FakeUpstream;
  let proxy: TestProxy;
  beforeAll(async () => {
    fake = await startFakeUpstream();
    proxy = await startProxy({ upstream: { baseURL: fake.url, api: "responses", model: "up-model" } });
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await proxy.close();
    await fake.close();
  });

  it("takes Codex 0.171's default request as it is: hosted tools and unread fields go upstream as sent, namespaced tools qualified", async () => {
    const response = await post(proxy, codexTurn1);
    expect(response.status).toBe(200);
    const events = sseJson<Json>(await response.text());
    expect(events.at(-1)?.type).toBe("response.completed");
    const sent = fake.requests[0]!.body as Json;
    for (const field of ["include", "reasoning", "prompt_cache_key", "client_metadata", "tool_choice", "parallel_tool_calls"])
      expect(sent[field], field).toEqual(codexTurn1[field]);
    expect(sent.store).toBe(false);
    const tools = sent.tools as Json[];
    expect(tools).toContainEqual(webSearchTool);
    const names = tools.filter((tool) => tool.type === "function").map((tool) => tool.name);
    expect(names).toContain("exec_command");
    expect(names).toContain("multi_agent_v1__spawn_agent");
    expect(tools.some((tool) => tool.type === "namespace")).toBe(false);
    // Its developer messages and the user text arrive in order.
    expect((sent.input as Json[]).at(-1)).toEqual({ type: "message", role: "user", content: [{ type: "input_text", text: "say hi via echo" }] });
  });

  it("streams hosted tool items with their own events, a namespaced call under its namespace, and a summary as a summary; stores them and sends them back on the next turn", async () => {
    fake.enqueue({ sse: hostedStream() });
    const response = await post(proxy, {
      input: "search then spawn",
      stream: true,
      tools: [namespaceTool, webSearchTool],
      include: ["reasoning.encrypted_content"],
      reasoning: { effort: "low", summary: "auto" },
      prompt_cache_key: "pck-1",
      service_tier: "flex",
    });
    expect(response.status).toBe(200);
    const events = sseJson<Json>(await response.text());
    const types = events.map((event) => event.type);
    expect(types).toEqual(
      expect.arrayContaining(["response.web_search_call.in_progress", "response.web_search_call.searching", "response.web_search_call.completed"]),
    );
    const searching = events.find((event) => event.type === "response.web_search_call.searching")!;
    expect(searching).toMatchObject({ item_id: "ws_up1", output_index: 1 });
    expect(types).toContain("response.reasoning_summary_text.delta");
    expect(types).not.toContain("response.reasoning_text.delta");
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    const done = events.filter((event) => event.type === "response.output_item.done").map((event) => event.item);
    expect(done[0]).toMatchObject({
      id: "rs_up1",
      type: "reasoning",
      summary: [{ type: "summary_text", text: "**Plan** search, then spawn" }],
      encrypted_content: "ENC123",
    });
    expect(done[0].content).toBeUndefined();
    expect(done[1]).toEqual(webSearch);
    expect(done[2]).toMatchObject({
      type: "function_call",
      call_id: "call_spawn",
      namespace: "multi_agent_v1",
      name: "spawn_agent",
      arguments: '{"task":"x"}',
    });

    const final = events.at(-1)!.response as Json;
    expect(final.status).toBe("completed");
    expect(final.output.map((item: Json) => item.type)).toEqual(["reasoning", "web_search_call", "function_call"]);
    expect(final.prompt_cache_key).toBe("pck-1");
    expect(final.service_tier).toBe("flex");
    expect(final.reasoning).toEqual({ effort: "low", summary: "auto" });
    expect(final.tools).toEqual([namespaceTool, webSearchTool]);

    const sent = fake.requests[0]!.body as Json;
    expect(sent).toMatchObject({
      include: ["reasoning.encrypted_content"],
      reasoning: { effort: "low", summary: "auto" },
      prompt_cache_key: "pck-1",
      service_tier: "flex",
    });

    const kept = await stored(proxy, final.id);
    expect(kept.output).toEqual(final.output);
    expect(kept.prompt_cache_key).toBe("pck-1");

    // The next turn, by previous_response_id: the upstream gets the reasoning with its id and blob,
    // the search call as it was, the call under its qualified name.
    fake.enqueue({ text: "spawned" });
    const next = await post(proxy, {
      previous_response_id: final.id,
      tools: [namespaceTool, webSearchTool],
      input: [{ type: "function_call_output", call_id: "call_spawn", output: "agent 7" }],
    });
    expect(next.status).toBe(200);
    const history = (fake.requests[1]!.body as Json).input as Json[];
    expect(history.slice(1)).toEqual([
      { type: "reasoning", id: "rs_up1", summary: [{ type: "summary_text", text: "**Plan** search, then spawn" }], encrypted_content: "ENC123" },
      webSearch,
      { type: "function_call", call_id: "call_spawn", name: "multi_agent_v1__spawn_agent", arguments: '{"task":"x"}' },
      { type: "function_call_output", call_id: "call_spawn", output: "agent 7" },
    ]);
  });

  it("streams what the openai SDK's response accumulator reads without a fault", async () => {
    fake.enqueue({ sse: hostedStream() });
    const stream = proxy.client.responses.stream({ model: "up-model", input: "go", tools: [namespaceTool, webSearchTool] as never });
    const summaries: string[] = [];
    stream.on("response.reasoning_summary_text.delta", (event) => summaries.push(event.delta));
    const final = await stream.finalResponse();
    expect(summaries).toEqual(["**Plan** search, then spawn"]);
    expect(final.output.map((item) => item.type)).toEqual(["reasoning", "web_search_call", "function_call"]);
    expect(final.output[2]).toMatchObject({ namespace: "multi_agent_v1", name: "spawn_agent" });
  });

  it("gives a JSON answer the same items", async () => {
    fake.enqueue({ sse: hostedStream() });
    const response = await post(proxy, { input: "go", tools: [namespaceTool, webSearchTool] });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Json;
    expect(body.output).toEqual([
      { id: "rs_up1", type: "reasoning", summary: [{ type: "summary_text", text: "**Plan** search, then spawn" }], encrypted_content: "ENC123" },
      webSearch,
      expect.objectContaining({ type: "function_call", namespace: "multi_agent_v1", name: "spawn_agent" }),
    ]);
    expect((await stored(proxy, body.id)).output).toEqual(body.output);
  });

  it("accepts Codex's store:false resend of reasoning, hosted and call items, and sends them upstream as they came", async () => {
    const response = await post(proxy, codexTurn2);
    expect(response.status).toBe(200);
    await response.text();
    const input = (fake.requests[0]!.body as Json).input as Json[];
    const given = codexTurn2.input as Json[];
    expect(input.slice(-4)).toEqual([
      { type: "reasoning", id: "rs_1", summary: [{ type: "summary_text", text: "**Plan** run echo" }], encrypted_content: "ENC123" },
      given.at(-3),
      { type: "function_call", call_id: "call_1", name: "exec_command", arguments: '{"cmd":"echo hi"}' },
      { type: "function_call_output", call_id: "call_1", output: given.at(-1)!.output },
    ]);
  });

  it("keeps a web search's citations on the answer's text, streamed and stored", async () => {
    const citation = { type: "url_citation", start_index: 0, end_index: 5, url: "https://example.com/", title: "Example" };
    const message = {
      id: "m1",
      type: "message",
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text: "Hello", annotations: [citation] }],
    };
    fake.enqueue({
      sse: [
        frame({ type: "response.output_item.added", output_index: 0, item: { ...message, content: [] } }),
        frame({ type: "response.output_text.delta", item_id: "m1", output_index: 0, content_index: 0, delta: "Hello" }),
        frame({ type: "response.output_text.annotation.added", item_id: "m1", output_index: 0, content_index: 0, annotation_index: 0, annotation: citation }),
        frame({ type: "response.output_item.done", output_index: 0, item: message }),
        frame({ type: "response.completed", response: { status: "completed", output: [message] } }),
      ],
    });
    const response = await post(proxy, { input: "cite", stream: true, tools: [webSearchTool] });
    const events = sseJson<Json>(await response.text());
    expect(events.find((event) => event.type === "response.output_text.annotation.added")).toMatchObject({ annotation_index: 0, annotation: citation });
    const final = events.at(-1)!.response as Json;
    expect(final.output[0].content[0]).toMatchObject({ type: "output_text", text: "Hello", annotations: [citation] });
    expect((await stored(proxy, final.id)).output[0].content[0].annotations).toEqual([citation]);
  });

  it("hands a custom tool call back to the client as it came, and takes its output back", async () => {
    const custom = { id: "ctc_1", type: "custom_tool_call", status: "completed", call_id: "call_patch", name: "apply_patch", input: "*** Begin Patch" };
    fake.enqueue({
      sse: [
        frame({ type: "response.output_item.added", output_index: 0, item: { ...custom, input: "" } }),
        frame({ type: "response.custom_tool_call_input.delta", item_id: "ctc_1", output_index: 0, delta: "*** Begin Patch" }),
        frame({ type: "response.output_item.done", output_index: 0, item: custom }),
        frame({ type: "response.completed", response: { status: "completed", output: [custom] } }),
      ],
    });
    const tool = { type: "custom", name: "apply_patch", description: "Patches files", format: { type: "text" } };
    const response = await post(proxy, { input: "patch it", stream: true, tools: [tool] });
    const events = sseJson<Json>(await response.text());
    expect(events.find((event) => event.type === "response.custom_tool_call_input.delta")).toMatchObject({ item_id: "ctc_1", delta: "*** Begin Patch" });
    expect(events.at(-1)!.response.output).toEqual([custom]);
    expect((fake.requests[0]!.body as Json).tools).toEqual([tool]);
    fake.enqueue({ text: "patched" });
    const next = await post(proxy, {
      previous_response_id: events.at(-1)!.response.id,
      tools: [tool],
      input: [{ type: "custom_tool_call_output", call_id: "call_patch", output: "ok" }],
    });
    expect(next.status).toBe(200);
    expect(((fake.requests[1]!.body as Json).input as Json[]).slice(1)).toEqual([
      custom,
      { type: "custom_tool_call_output", call_id: "call_patch", output: "ok" },
    ]);
  });

  it("shows a Chat Completions client a summary of two parts as reasoning_content, the parts a blank line apart", async () => {
    const summary = {
      id: "rs_two",
      type: "reasoning",
      summary: [
        { type: "summary_text", text: "One." },
        { type: "summary_text", text: "Two." },
      ],
    };
    const message = { id: "m1", type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: "Hi", annotations: [] }] };
    const frames = [
      frame({ type: "response.output_item.added", output_index: 0, item: { ...summary, summary: [] } }),
      frame({ type: "response.reasoning_summary_text.delta", item_id: "rs_two", output_index: 0, summary_index: 0, delta: "One." }),
      frame({ type: "response.reasoning_summary_text.delta", item_id: "rs_two", output_index: 0, summary_index: 1, delta: "Two." }),
      frame({ type: "response.output_item.done", output_index: 0, item: summary }),
      frame({ type: "response.output_item.added", output_index: 1, item: { ...message, content: [] } }),
      frame({ type: "response.output_text.delta", item_id: "m1", output_index: 1, content_index: 0, delta: "Hi" }),
      frame({ type: "response.output_item.done", output_index: 1, item: message }),
      frame({ type: "response.completed", response: { status: "completed", output: [summary, message] } }),
    ];
    fake.enqueue({ sse: frames }, { sse: frames });
    const streamed = await fetch(`${proxy.url}/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], stream: true }),
    });
    const chunks = sseJson<Json>(await streamed.text());
    expect(chunks.map((chunk) => chunk.choices?.[0]?.delta?.reasoning_content ?? "").join("")).toBe("One.\n\nTwo.");
    const whole = await fetch(`${proxy.url}/v1/chat/completions`, { method: "POST", body: JSON.stringify({ messages: [{ role: "user", content: "hi" }] }) });
    expect(((await whole.json()) as Json).choices[0].message).toMatchObject({ content: "Hi", reasoning_content: "One.\n\nTwo." });
  });

  it("sends the client's hosted tool in place of a plugin tool that claims its type", async () => {
    const search = defineTool({
      name: "web_search",
      description: "Searches",
      hosted: "web_search",
      parameters: z.object({ query: z.string() }),
      execute: () => "results",
    });
    const withPlugin = await startProxy({ upstream: { baseURL: fake.url, api: "responses", model: "up-model" }, plugins: [search] });
    try {
      const response = await post(withPlugin, { input: "hi", tools: [webSearchTool] });
      expect(response.status).toBe(200);
      expect((fake.requests[0]!.body as Json).tools).toEqual([webSearchTool]);
    } finally {
      await withPlugin.close();
    }
  });
});

describe("over a Chat upstream", () => {
  let fake: FakeUpstream;
  let proxy: TestProxy;
  beforeAll(async () => {
    fake = await startFakeUpstream();
    proxy = await startProxy({ upstream: { baseURL: fake.url, model: "up-model" } });
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await proxy.close();
    await fake.close();
  });

  it("runs Codex 0.171's default request, dropping the hosted tool nothing can run, with a header and one warning", async () => {
    const logs = captureLogs();
    let response: Response;
    try {
      response = await post(proxy, codexTurn1);
      expect(response.status).toBe(200);
      await response.text();
    } finally {
      logs.restore();
    }
    expect(response.headers.get("x-hermes-dropped-tools")).toBe("web_search");
    expect(logs.lines().filter((line) => line.includes("web_search"))).toHaveLength(1);
    const sent = fake.requests[0]!.body as Json;
    const names = (sent.tools as Json[]).map((tool) => tool.function.name);
    expect(names).toContain("multi_agent_v1__spawn_agent");
    expect(names).not.toContain("web_search");
    expect(sent.prompt_cache_key).toBe(codexTurn1.prompt_cache_key);
    expect(sent.include).toBeUndefined();
    expect(sent.client_metadata).toBeUndefined();
  });

  it("answers 400 naming the tool when so configured", async () => {
    const strict = await startProxy({ upstream: { baseURL: fake.url, model: "up-model" }, agent: { unsupportedHostedTools: "error" } });
    try {
      const response = await post(strict, { input: "hi", tools: [namespaceTool, webSearchTool] });
      expect(response.status).toBe(400);
      expect(((await response.json()) as Json).error).toMatchObject({ code: "unsupported_tool", param: "tools[1]" });
      expect(fake.requests).toHaveLength(0);
    } finally {
      await strict.close();
    }
  });

  it("refuses a tool type that is not a name with a 400, before a header could carry it", async () => {
    const response = await post(proxy, { input: "hi", tools: [{ type: "\ud800", name: "f" }] });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Json).error).toMatchObject({ type: "invalid_request_error", param: "tools[0].type" });
    expect(fake.requests).toHaveLength(0);
  });

  it("runs a hosted tool a plugin claims", async () => {
    const search = defineTool({
      name: "web_search",
      description: "Searches the web",
      hosted: "web_search",
      parameters: z.object({ query: z.string() }),
      execute: ({ query }) => `results for ${query}`,
    });
    const withPlugin = await startProxy({ upstream: { baseURL: fake.url, model: "up-model" }, plugins: [search] });
    try {
      fake.enqueue({ toolCalls: [{ id: "call_s", name: "web_search", arguments: { query: "hermes" } }] }, { text: "found it" });
      const response = await post(withPlugin, { input: "search", tools: [webSearchTool] });
      expect(response.status).toBe(200);
      expect(response.headers.get("x-hermes-dropped-tools")).toBeNull();
      const body = (await response.json()) as Json;
      expect(body.output.map((item: Json) => item.type)).toEqual(["function_call", "function_call_output", "message"]);
      expect(body.output[1].output).toBe("results for hermes");
      expect((fake.requests[0]!.body as Json).tools.map((tool: Json) => tool.function.name)).toEqual(["web_search"]);
    } finally {
      await withPlugin.close();
    }
  });

  it("hands a namespaced call back under its namespace, and replays it and its reasoning on the next turn", async () => {
    fake.enqueue({ reasoning: "Need an agent.", toolCalls: [{ id: "call_ns", name: "multi_agent_v1__spawn_agent", arguments: { task: "y" } }] });
    const response = await post(proxy, { input: "spawn", stream: true, tools: [namespaceTool] });
    const events = sseJson<Json>(await response.text());
    const call = events.find((event) => event.type === "response.output_item.done" && event.item.type === "function_call")!.item;
    expect(call).toMatchObject({ call_id: "call_ns", namespace: "multi_agent_v1", name: "spawn_agent" });
    const final = events.at(-1)!.response as Json;
    expect((await stored(proxy, final.id)).output.find((item: Json) => item.type === "function_call")).toMatchObject({
      namespace: "multi_agent_v1",
      name: "spawn_agent",
    });
    expect((fake.requests[0]!.body as Json).tools[0].function.name).toBe("multi_agent_v1__spawn_agent");

    fake.enqueue({ text: "done" });
    const next = await post(proxy, {
      previous_response_id: final.id,
      tools: [namespaceTool],
      input: [{ type: "function_call_output", call_id: "call_ns", output: "agent 8" }],
    });
    expect(next.status).toBe(200);
    const messages = (fake.requests[1]!.body as Json).messages as Json[];
    expect(messages.slice(1)).toEqual([
      {
        role: "assistant",
        content: null,
        reasoning_content: "Need an agent.",
        tool_calls: [{ id: "call_ns", type: "function", function: { name: "multi_agent_v1__spawn_agent", arguments: '{"task":"y"}' } }],
      },
      { role: "tool", tool_call_id: "call_ns", content: "agent 8" },
    ]);
  });

  it("carries a custom tool as a function of one string, and hands its call back as a custom_tool_call", async () => {
    const tool = { type: "custom", name: "apply_patch", description: "Patches files", format: { type: "grammar", syntax: "lark", definition: "start: /.+/" } };
    fake.enqueue({ toolCalls: [{ id: "call_p", name: "apply_patch", arguments: { input: "*** Begin Patch\n*** End Patch" } }] });
    const response = await post(proxy, { input: "patch", stream: true, tools: [tool] });
    expect(response.headers.get("x-hermes-dropped-tools")).toBeNull();
    const events = sseJson<Json>(await response.text());
    const sentTool = ((fake.requests[0]!.body as Json).tools as Json[])[0]!;
    expect(sentTool.function).toMatchObject({ name: "apply_patch", description: "Patches files", parameters: { type: "object", required: ["input"] } });
    expect(sentTool.function.parameters.properties.input.description).toContain("start: /.+/");
    const final = events.at(-1)!.response as Json;
    expect(final.output).toEqual([
      { id: expect.any(String), type: "custom_tool_call", call_id: "call_p", name: "apply_patch", input: "*** Begin Patch\n*** End Patch" },
    ]);
    expect((await stored(proxy, final.id)).output).toEqual(final.output);

    fake.enqueue({ text: "patched" });
    const next = await post(proxy, {
      previous_response_id: final.id,
      tools: [tool],
      input: [{ type: "custom_tool_call_output", call_id: "call_p", output: "Done!" }],
    });
    expect(next.status).toBe(200);
    expect(((fake.requests[1]!.body as Json).messages as Json[]).slice(1)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_p", type: "function", function: { name: "apply_patch", arguments: '{"input":"*** Begin Patch\\n*** End Patch"}' } }],
      },
      { role: "tool", tool_call_id: "call_p", content: "Done!" },
    ]);
  });

  it("replays a client's store:false reasoning as reasoning_content and leaves hosted items out", async () => {
    const response = await post(proxy, { ...codexTurn2, stream: false });
    expect(response.status).toBe(200);
    const messages = (fake.requests[0]!.body as Json).messages as Json[];
    expect(messages.at(-2)).toMatchObject({
      role: "assistant",
      reasoning_content: "**Plan** run echo",
      tool_calls: [{ id: "call_1", function: { name: "exec_command" } }],
    });
    expect(messages.at(-1)).toMatchObject({ role: "tool", tool_call_id: "call_1" });
  });
});
