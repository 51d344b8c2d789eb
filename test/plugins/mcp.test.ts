import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { createRequire } from "node:module";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import mcp from "../../plugins/mcp/index.ts";
import { cancelled } from "../fixtures/mcp/fixture-server.mjs";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { fixtureScript, type McpHttpFixture, startMcpHttpFixture } from "../helpers/mcp-fixture.ts";
import { startProxy, type TestProxy } from "../helpers/proxy.ts";
import { parseSse, readSse } from "../helpers/sse.ts";

const KEY = "mcp-test-key-0123456789abcdef";
const CHILD_TOKEN = "child-token-5f3a9c1e7b2d4a60";
const WEB_TOKEN = "web-token-9e8d7c6b5a4f3e2d";
const everythingScript = createRequire(import.meta.url).resolve("@modelcontextprotocol/server-everything/dist/index.js");

type Payload = { event: string } & Record<string, unknown>;

describe("the mcp plugin: MCP servers' tools as server tools", () => {
  let upstream: FakeUpstream;
  let web: McpHttpFixture;
  let proxy: TestProxy;
  /** The fixture's own tool list as an MCP client sees it, to compare schemas with. */
  let listed: { name: string; inputSchema: Record<string, unknown> }[];
  const warnings: string[] = [];
  /** What the log said while the proxy started. */
  let atStartup: string[] = [];

  beforeAll(async () => {
    vi.spyOn(console, "warn").mockImplementation((...args: unknown[]) => void warnings.push(args.map(String).join(" ")));
    upstream = await startFakeUpstream();
    web = await startMcpHttpFixture(WEB_TOKEN);
    const direct = new Client({ name: "test", version: "1" });
    await direct.connect(new StdioClientTransport({ command: process.execPath, args: [fixtureScript], stderr: "ignore" }));
    listed = (await direct.listTools()).tools as typeof listed;
    await direct.close();
    proxy = await startProxy({
      server: { apiKey: KEY },
      upstream: { baseURL: upstream.url, model: "fake-model", maxRetries: 0 },
      plugins: [
        mcp({ name: "fx", command: process.execPath, args: [fixtureScript], env: { FIXTURE_TOKEN: CHILD_TOKEN }, deny: ["add_tool"] }),
        mcp({ name: "guarded", prefix: "g_", command: process.execPath, args: [fixtureScript], allow: ["echo"], needsApproval: ["echo"], startup: "lazy" }),
        mcp({ name: "web", url: web.url, headers: { Authorization: `Bearer ${WEB_TOKEN}` }, timeoutMs: 400 }),
        mcp({ name: "everything", command: process.execPath, args: [everythingScript, "stdio"], allow: ["echo", "get-sum"] }),
        mcp({ name: "broken", command: process.execPath, args: [fixtureScript], env: { FIXTURE_FAIL_START: "1" } }),
      ],
    });
    atStartup = [...warnings];
  }, 60_000);
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await proxy.close();
    await web.close();
    await upstream.close();
    vi.restoreAllMocks();
  });

  const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
  const post = (path: string, body: unknown) => fetch(`${proxy.url}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  const get = (path: string) => fetch(`${proxy.url}${path}`, { headers });
  /** The tool message the upstream got back in its second request. */
  const toolResult = (index = 1) => upstream.requests[index]?.body.messages.at(-1);
  const toolNames = (index = 0): string[] => (upstream.requests[index]?.body.tools ?? []).map((tool: { function: { name: string } }) => tool.function.name);

  it("offers every server's tools under their prefixed names, with the servers' JSON Schema unchanged", async () => {
    upstream.enqueue({ text: "nothing to do" });
    const completion = await proxy.client.chat.completions.create({ model: "fake-model", messages: [{ role: "user", content: "hi" }] });
    expect(completion.choices[0]?.message.content).toBe("nothing to do");
    const names = toolNames();
    expect(names).toEqual(
      expect.arrayContaining(["fx__echo", "fx__fail", "fx__count", "web__echo", "web__add_tool", "g_echo", "everything__echo", "everything__get-sum"]),
    );
    expect(names).not.toContain("fx__add_tool");
    expect(names.filter((name) => name.startsWith("g_"))).toEqual(["g_echo"]);
    expect(names.filter((name) => name.startsWith("everything__")).sort()).toEqual(["everything__echo", "everything__get-sum"]);
    expect(names.some((name) => name.startsWith("broken"))).toBe(false);
    const echo = upstream.requests[0]?.body.tools.find((tool: { function: { name: string } }) => tool.function.name === "fx__echo");
    expect(echo.function.parameters).toEqual(listed.find((tool) => tool.name === "echo")?.inputSchema);
    expect(echo.function.description).toBe("Echoes the text back");
  });

  it("runs a tool over stdio for Chat Completions and feeds its text back to the model", async () => {
    upstream.enqueue({ toolCalls: [{ id: "call_echo", name: "fx__echo", arguments: { text: "bonjour" } }] }, { text: "It said bonjour." });
    const completion = await proxy.client.chat.completions.create({ model: "fake-model", messages: [{ role: "user", content: "echo" }] });
    expect(completion.choices[0]?.message.content).toBe("It said bonjour.");
    expect(toolResult()).toEqual({ role: "tool", tool_call_id: "call_echo", content: "echo: bonjour" });
  });

  it("passes env to the child without printing it, and headers to an HTTP server", async () => {
    upstream.enqueue(
      {
        toolCalls: [
          { id: "call_env", name: "fx__env" },
          { id: "call_web", name: "web__echo", arguments: { text: "over http" } },
        ],
      },
      { text: "ok" },
    );
    await proxy.client.chat.completions.create({ model: "fake-model", messages: [{ role: "user", content: "env" }] });
    const messages = upstream.requests[1]?.body.messages;
    expect(messages.at(-2)).toEqual({ role: "tool", tool_call_id: "call_env", content: `token of ${CHILD_TOKEN.length} characters` });
    expect(messages.at(-1)).toEqual({ role: "tool", tool_call_id: "call_web", content: "echo: over http" });
    expect(web.headers.every((h) => h.authorization === `Bearer ${WEB_TOKEN}`)).toBe(true);
  });

  it("returns isError results and a published server's tools (server-everything) to the model", async () => {
    upstream.enqueue(
      {
        toolCalls: [
          { id: "call_fail", name: "fx__fail" },
          { id: "call_sum", name: "everything__get-sum", arguments: { a: 2, b: 40 } },
        ],
      },
      { text: "done" },
    );
    await proxy.client.chat.completions.create({ model: "fake-model", messages: [{ role: "user", content: "go" }] });
    const messages = upstream.requests[1]?.body.messages;
    expect(messages.at(-2)).toEqual({ role: "tool", tool_call_id: "call_fail", content: "Error from fx__fail: the disk is on fire" });
    expect(messages.at(-1).content).toMatch(/42/);
  });

  it("streams MCP progress notifications as hermes.tool.progress in a Chat stream", async () => {
    upstream.enqueue({ toolCalls: [{ id: "call_count", name: "fx__count", arguments: { n: 3 } }] }, { text: "counted" });
    const response = await post("/v1/chat/completions", { model: "fake-model", stream: true, messages: [{ role: "user", content: "count" }] });
    const frames = parseSse(await response.text())
      .filter((frame) => frame.event === "hermes.tool.progress")
      .map((frame) => JSON.parse(frame.data));
    // Each progress payload is also an empty chat.completion.chunk of the stream (for SDKs that read every frame as one).
    const chunk = { id: expect.stringMatching(/^chatcmpl-/), object: "chat.completion.chunk", created: expect.any(Number), model: "fake-model", choices: [] };
    expect(frames).toEqual([
      expect.objectContaining({ tool: "fx__count", toolCallId: "call_count", status: "running" }),
      { ...chunk, tool: "fx__count", toolCallId: "call_count", status: "running", progress: 1, total: 3, message: "step 1" },
      { ...chunk, tool: "fx__count", toolCallId: "call_count", status: "running", progress: 2, total: 3, message: "step 2" },
      { ...chunk, tool: "fx__count", toolCallId: "call_count", status: "running", progress: 3, total: 3, message: "step 3" },
      expect.objectContaining({ tool: "fx__count", toolCallId: "call_count", status: "completed", isError: false }),
    ]);
    expect(toolResult()).toEqual({ role: "tool", tool_call_id: "call_count", content: "counted to 3" });
  });

  it("maps image and resource content to text, streams progress and stores the output for the Responses API", async () => {
    upstream.enqueue(
      {
        toolCalls: [
          { id: "call_media", name: "fx__media" },
          { id: "call_count", name: "web__count", arguments: { n: 2 } },
        ],
      },
      { text: "seen" },
    );
    const response = await post("/v1/responses", { model: "fake-model", stream: true, input: "show me" });
    const frames = parseSse(await response.text()).map((frame) => ({ event: frame.event, data: JSON.parse(frame.data) as Record<string, unknown> }));
    const progress = frames.filter((frame) => frame.event === "hermes.tool.progress").map((frame) => frame.data);
    expect(progress.map(({ call_id, name, progress, total }) => ({ call_id, name, progress, total }))).toEqual([
      { call_id: "call_count", name: "web__count", progress: 1, total: 2 },
      { call_id: "call_count", name: "web__count", progress: 2, total: 2 },
    ]);
    const numbers = frames.map((frame) => frame.data.sequence_number as number);
    expect(numbers).toEqual(numbers.map((_, index) => index));
    const media = "a chart\n[image: image/png, 16 bytes]\n[resource: file:///notes.txt]\nthe notes";
    expect(upstream.requests[1]?.body.messages.find((m: { tool_call_id?: string }) => m.tool_call_id === "call_media")?.content).toBe(media);
    const id = (frames.at(-1)!.data.response as { id: string }).id;
    const stored = (await (await get(`/v1/responses/${id}`)).json()) as { output: { type: string; call_id?: string; output?: string }[] };
    expect(stored.output.find((item) => item.type === "function_call_output" && item.call_id === "call_media")?.output).toBe(media);
  });

  it("cancels a call that runs past its time limit, on the server too", async () => {
    const before = cancelled.count;
    upstream.enqueue({ toolCalls: [{ id: "call_wait", name: "web__wait" }] }, { text: "gave up" });
    await proxy.client.chat.completions.create({ model: "fake-model", messages: [{ role: "user", content: "wait" }] });
    expect(toolResult()).toEqual({ role: "tool", tool_call_id: "call_wait", content: "Error from web__wait: timed out after 400 ms" });
    await vi.waitFor(() => expect(cancelled.count).toBe(before + 1), { timeout: 5_000 });
  });

  it("cancels a call on the server when the client of a Chat stream goes away", async () => {
    // fx has no time limit of its own (agent.toolTimeoutMs, 60 s): only the client's leaving ends its wait.
    const cancelledInChild = async (): Promise<number> => {
      upstream.reset();
      upstream.enqueue({ toolCalls: [{ id: "call_count", name: "fx__cancelled_count" }] }, { text: "counted" });
      await proxy.client.chat.completions.create({ model: "fake-model", messages: [{ role: "user", content: "count" }] });
      return Number(toolResult().content);
    };
    const before = await cancelledInChild();
    upstream.reset();
    upstream.enqueue({ toolCalls: [{ id: "call_wait", name: "fx__wait" }] });
    const controller = new AbortController();
    const response = await fetch(`${proxy.url}/v1/chat/completions`, {
      method: "POST",
      headers,
      body: JSON.stringify({ model: "fake-model", stream: true, messages: [{ role: "user", content: "wait" }] }),
      signal: controller.signal,
    });
    for await (const frame of readSse(response)) {
      if (frame.event === "hermes.tool.progress") break;
    }
    controller.abort();
    await vi.waitFor(async () => expect(await cancelledInChild()).toBe(before + 1), { timeout: 5_000, interval: 200 });
  });

  it("streams progress, asks for approval and cancels on stop through the Runs API", async () => {
    upstream.enqueue(
      {
        toolCalls: [
          { id: "call_count", name: "fx__count", arguments: { n: 2 } },
          { id: "call_g", name: "g_echo", arguments: { text: "guarded" } },
        ],
      },
      { text: "all done" },
    );
    const started = (await (await post("/v1/runs", { input: "go" })).json()) as { run_id: string };
    const events: Payload[] = [];
    const stream = await get(`/v1/runs/${started.run_id}/events`);
    for await (const frame of readSse(stream)) {
      const payload = JSON.parse(frame.data) as Payload;
      events.push(payload);
      if (payload.event === "approval.request") expect((await post(`/v1/runs/${started.run_id}/approval`, { choice: "once" })).status).toBe(200);
      if (payload.event === "run.completed" || payload.event === "run.failed") break;
    }
    expect(events.filter((event) => event.event === "tool.progress")).toEqual([
      expect.objectContaining({ tool: "fx__count", tool_call_id: "call_count", progress: 1, total: 2, message: "step 1" }),
      expect.objectContaining({ tool: "fx__count", tool_call_id: "call_count", progress: 2, total: 2, message: "step 2" }),
    ]);
    expect(events.find((event) => event.event === "approval.request")).toMatchObject({ tool: "g_echo" });
    expect(events.at(-1)).toMatchObject({ event: "run.completed", output: "all done" });
    expect(toolResult()).toEqual({ role: "tool", tool_call_id: "call_g", content: "echo: guarded" });
    const status = (await (await get(`/v1/runs/${started.run_id}`)).json()) as { status: string; output: string };
    expect(status).toMatchObject({ status: "completed", output: "all done" });

    // A stopped run cancels its MCP call on the server.
    upstream.reset();
    const before = cancelled.count;
    upstream.enqueue({ toolCalls: [{ id: "call_wait", name: "web__wait" }] });
    const waiting = (await (await post("/v1/runs", { input: "wait" })).json()) as { run_id: string };
    for await (const frame of readSse(await get(`/v1/runs/${waiting.run_id}/events`))) {
      if ((JSON.parse(frame.data) as Payload).event === "tool.started") break;
    }
    await post(`/v1/runs/${waiting.run_id}/stop`, {});
    await vi.waitFor(() => expect(cancelled.count).toBe(before + 1), { timeout: 5_000 });
    const stopped = (await (await get(`/v1/runs/${waiting.run_id}`)).json()) as { status: string };
    expect(stopped.status).toBe("cancelled");
    expect(upstream.requests).toHaveLength(1);
  });

  it("refuses a tool that needs approval on Chat Completions", async () => {
    upstream.enqueue({ toolCalls: [{ id: "call_g", name: "g_echo", arguments: { text: "x" } }] }, { text: "refused" });
    await proxy.client.chat.completions.create({ model: "fake-model", messages: [{ role: "user", content: "go" }] });
    expect(toolResult().content).toMatch(/^g_echo was not run: it needs a person's approval/);
  });

  it("offers a tool the server adds, after notifications/tools/list_changed", async () => {
    upstream.enqueue({ toolCalls: [{ id: "call_add", name: "web__add_tool" }] }, { text: "added" });
    await proxy.client.chat.completions.create({ model: "fake-model", messages: [{ role: "user", content: "add" }] });
    expect(toolNames(0)).not.toContain("web__late");
    await vi.waitFor(
      async () => {
        upstream.reset();
        upstream.enqueue({ text: "look" });
        await proxy.client.chat.completions.create({ model: "fake-model", messages: [{ role: "user", content: "list" }] });
        expect(toolNames(0)).toContain("web__late");
      },
      { timeout: 5_000, interval: 100 },
    );
    upstream.reset();
    upstream.enqueue({ toolCalls: [{ id: "call_late", name: "web__late" }] }, { text: "ok" });
    await proxy.client.chat.completions.create({ model: "fake-model", messages: [{ role: "user", content: "late" }] });
    expect(toolResult()).toEqual({ role: "tool", tool_call_id: "call_late", content: "late but here" });
  });

  it("restarts a stdio server killed with SIGKILL; the call it was running is a tool error", async () => {
    const pidOf = async (): Promise<string> => {
      upstream.reset();
      upstream.enqueue({ toolCalls: [{ id: "call_pid", name: "fx__pid" }] }, { text: "pid" });
      await proxy.client.chat.completions.create({ model: "fake-model", messages: [{ role: "user", content: "pid" }] });
      return toolResult().content as string;
    };
    const first = await pidOf();
    expect(first).toMatch(/^\d+$/);

    upstream.reset();
    upstream.enqueue({ toolCalls: [{ id: "call_wait", name: "fx__wait" }] }, { text: "lost" });
    const pending = proxy.client.chat.completions.create({ model: "fake-model", messages: [{ role: "user", content: "wait" }] });
    await vi.waitFor(() => expect(upstream.requests).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 200));
    process.kill(Number(first), "SIGKILL");
    await pending;
    expect(toolResult().content).toMatch(/^Error from fx__wait: .*(?:closed|Connection)/i);

    await vi.waitFor(async () => expect(await pidOf()).toMatch(/^\d+$/), { timeout: 10_000, interval: 250 });
    const second = await pidOf();
    expect(second).not.toBe(first);
    expect(warnings).toContainEqual(expect.stringMatching(/^\[hermes-proxy\] \[fx\] MCP server exited \(last stderr: .*\); restarting in \d+ ms$/));
    expect(warnings.join("\n")).not.toContain(CHILD_TOKEN);
    expect(warnings.join("\n")).not.toContain(WEB_TOKEN);
  });

  it("says in one line that a server did not start, and the proxy starts without its tools", () => {
    // The first attempt's line (a retry 500 ms later may have logged its own by the time the proxy is up).
    expect(atStartup.find((line) => line.includes("broken"))).toBe(
      "[hermes-proxy] [broken] MCP server did not start: MCP error -32000: Connection closed (last stderr: fixture: refusing to start); restarting in 500 ms",
    );
    expect(atStartup.filter((line) => line.includes("broken") && !/MCP server did not start: .*; restarting in \d+ ms$/.test(line))).toEqual([]);
  });
});
