import { afterEach, describe, expect, it, vi } from "vitest";
import mcp from "../../plugins/mcp/index.ts";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { fixtureScript, startMcpHttpFixture, startMcpSseFixture } from "../helpers/mcp-fixture.ts";
import { startProxy, type TestProxy } from "../helpers/proxy.ts";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("the mcp plugin's lifecycle", () => {
  let upstream: FakeUpstream | undefined;
  let proxy: TestProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    await upstream?.close();
    proxy = upstream = undefined;
    vi.restoreAllMocks();
  });

  it("stops the child on shutdown, after the drain", async () => {
    upstream = await startFakeUpstream();
    proxy = await startProxy({
      upstream: { baseURL: upstream.url, model: "fake-model", maxRetries: 0 },
      plugins: [mcp({ name: "fx", command: process.execPath, args: [fixtureScript], allow: ["pid"] })],
    });
    upstream.enqueue({ toolCalls: [{ id: "call_pid", name: "fx__pid" }] }, { text: "ok" });
    await proxy.client.chat.completions.create({ model: "fake-model", messages: [{ role: "user", content: "pid" }] });
    const pid = Number(upstream.requests[1]?.body.messages.at(-1).content);
    expect(alive(pid)).toBe(true);
    await proxy.close();
    proxy = undefined;
    await vi.waitFor(() => expect(alive(pid)).toBe(false), { timeout: 5_000 });
  });

  it("starts a lazy server only when a run first needs its tools, and runs without them when it cannot start", async () => {
    const warnings: string[] = [];
    vi.spyOn(console, "warn").mockImplementation((...args: unknown[]) => void warnings.push(args.map(String).join(" ")));
    upstream = await startFakeUpstream();
    proxy = await startProxy({
      upstream: { baseURL: upstream.url, model: "fake-model", maxRetries: 0 },
      plugins: [
        mcp({ name: "later", command: process.execPath, args: [fixtureScript], allow: ["echo"], startup: "lazy" }),
        mcp({ name: "never", command: process.execPath, args: [fixtureScript], env: { FIXTURE_FAIL_START: "1" }, startup: "lazy" }),
      ],
    });
    expect(warnings.filter((line) => line.includes("never"))).toEqual([]);
    upstream.enqueue({ toolCalls: [{ id: "call_echo", name: "later__echo", arguments: { text: "lazy" } }] }, { text: "done" });
    const completion = await proxy.client.chat.completions.create({ model: "fake-model", messages: [{ role: "user", content: "go" }] });
    expect(completion.choices[0]?.message.content).toBe("done");
    expect(upstream.requests[0]?.body.tools.map((tool: { function: { name: string } }) => tool.function.name)).toEqual(["later__echo"]);
    expect(upstream.requests[1]?.body.messages.at(-1)).toEqual({ role: "tool", tool_call_id: "call_echo", content: "echo: lazy" });
    // One line per attempt (the first, and any retry that came by now), none from the runs themselves.
    const never = warnings.filter((line) => line.includes("never"));
    expect(never[0]).toBe(
      "[hermes-proxy] [never] MCP server did not start: MCP error -32000: Connection closed (last stderr: fixture: refusing to start); restarting in 500 ms",
    );
    for (const line of never) expect(line).toMatch(/^\[hermes-proxy\] \[never\] MCP server did not start: .*; restarting in \d+ ms$/);
  });
});

describe("the mcp plugin over the older HTTP+SSE transport", () => {
  it("falls back to SSE when the server does not speak Streamable HTTP", async () => {
    const sse = await startMcpSseFixture();
    const upstream = await startFakeUpstream();
    const proxy = await startProxy({
      upstream: { baseURL: upstream.url, model: "fake-model", maxRetries: 0 },
      plugins: [mcp({ name: "old", url: sse.url, allow: ["echo"] })],
    });
    try {
      upstream.enqueue({ toolCalls: [{ id: "call_echo", name: "old__echo", arguments: { text: "over sse" } }] }, { text: "done" });
      await proxy.client.chat.completions.create({ model: "fake-model", messages: [{ role: "user", content: "go" }] });
      expect(upstream.requests[1]?.body.messages.at(-1)).toEqual({ role: "tool", tool_call_id: "call_echo", content: "echo: over sse" });
    } finally {
      await proxy.close();
      await upstream.close();
      await sse.close();
    }
  });
});

describe("the mcp plugin when an HTTP server restarts", () => {
  it("starts a new session once the server no longer knows the old one", async () => {
    let web = await startMcpHttpFixture("token-0123456789");
    const port = Number(new URL(web.url).port);
    const upstream = await startFakeUpstream();
    const proxy = await startProxy({
      upstream: { baseURL: upstream.url, model: "fake-model", maxRetries: 0 },
      plugins: [mcp({ name: "web", url: web.url, headers: { Authorization: "Bearer token-0123456789" }, allow: ["echo"] })],
    });
    const echo = async (text: string): Promise<string> => {
      upstream.reset();
      upstream.enqueue({ toolCalls: [{ id: "call_echo", name: "web__echo", arguments: { text } }] }, { text: "done" });
      await proxy.client.chat.completions.create({ model: "fake-model", messages: [{ role: "user", content: text }] });
      return upstream.requests[1]?.body.messages.at(-1).content as string;
    };
    try {
      expect(await echo("before")).toBe("echo: before");
      await web.close();
      web = await startMcpHttpFixture("token-0123456789", port);
      // The old session is unknown to the new server: that call is an error, and the connection is renewed.
      expect(await echo("lost")).toMatch(/^Error from web__echo: /);
      await vi.waitFor(async () => expect(await echo("after")).toBe("echo: after"), { timeout: 10_000, interval: 250 });
    } finally {
      await proxy.close();
      await upstream.close();
      await web.close();
    }
  });
});
