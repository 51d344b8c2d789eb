import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import mcp from "../../plugins/mcp/index.ts";
import { definePlugin, defineTool } from "../../sdk/index.ts";
import { fixtureScript } from "../helpers/mcp-fixture.ts";
import { startProxy, type TestProxy } from "../helpers/proxy.ts";

const KEY = "mcp-serve-key-0123456789abcdef";

const weather = defineTool({
  name: "weather",
  description: "The weather in a city",
  parameters: z.object({ city: z.string().describe("City name") }),
  execute: ({ city }) => ({ city, sky: "clear" }),
});
const steps = defineTool({
  name: "steps",
  description: "Reports progress three times",
  async execute(_args, { progress }) {
    for (let step = 1; step <= 3; step++) {
      progress({ progress: step, total: 3, message: `step ${step}` });
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return "three steps";
  },
});
const broken = defineTool({
  name: "broken",
  description: "Throws",
  execute: () => {
    throw new Error("it broke");
  },
});
const guarded = defineTool({ name: "guarded", description: "Needs approval", needsApproval: true, execute: () => "ran" });

async function connect(proxy: TestProxy, key = KEY): Promise<Client> {
  const client = new Client({ name: "test-client", version: "1" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${proxy.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  return client;
}

describe("mcp.serve: the proxy's server tools over MCP at /mcp", () => {
  let proxy: TestProxy;
  let relaying: TestProxy;

  beforeAll(async () => {
    const plugins = [
      definePlugin({ name: "local", tools: [weather, steps, broken, guarded] }),
      mcp({ name: "fx", command: process.execPath, args: [fixtureScript], allow: ["echo"] }),
    ];
    proxy = await startProxy({ server: { apiKey: KEY }, mcp: { serve: true }, plugins });
    relaying = await startProxy({
      server: { apiKey: KEY },
      mcp: { serve: true, relay: true },
      plugins: [mcp({ name: "fx", command: process.execPath, args: [fixtureScript], allow: ["echo"] })],
    });
  }, 30_000);
  afterAll(async () => {
    await proxy.close();
    await relaying.close();
  });

  it("lists the tool plugins' tools with their JSON Schema, and not other MCP servers' tools", async () => {
    const client = await connect(proxy);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(["broken", "guarded", "steps", "weather"]);
    expect(tools.find((tool) => tool.name === "weather")?.inputSchema).toEqual({ type: "object", ...weather.jsonSchema });
    await client.close();
  });

  it("calls a tool, reports its progress, and returns errors and refusals as isError", async () => {
    const client = await connect(proxy);
    expect(await client.callTool({ name: "weather", arguments: { city: "Lyon" } })).toMatchObject({
      content: [{ type: "text", text: '{"city":"Lyon","sky":"clear"}' }],
      isError: false,
    });
    const seen: unknown[] = [];
    const result = await client.callTool({ name: "steps", arguments: {} }, undefined, { onprogress: (update) => void seen.push(update) });
    expect(result.content).toEqual([{ type: "text", text: "three steps" }]);
    expect(seen).toEqual([1, 2, 3].map((step) => ({ progress: step, total: 3, message: `step ${step}` })));
    expect(await client.callTool({ name: "broken", arguments: {} })).toMatchObject({
      content: [{ type: "text", text: "Error from broken: it broke" }],
      isError: true,
    });
    expect(await client.callTool({ name: "weather", arguments: {} })).toMatchObject({
      isError: true,
      content: [{ text: expect.stringMatching(/^Invalid arguments for weather/) }],
    });
    expect((await client.callTool({ name: "guarded", arguments: {} })).isError).toBe(true);
    expect((await client.callTool({ name: "fx__echo", arguments: { text: "x" } })).isError).toBe(true);
    await client.close();
  });

  it("says so in /v1/capabilities", async () => {
    const response = await fetch(`${proxy.url}/v1/capabilities`, { headers: { authorization: `Bearer ${KEY}` } });
    const capabilities = (await response.json()) as {
      features: Record<string, unknown>;
      endpoints: Record<string, unknown>;
      plugins: { name: string; lists_tools?: boolean }[];
    };
    expect(capabilities.features).toMatchObject({ mcp_server: true, server_tools: true });
    expect(capabilities.endpoints.mcp).toEqual({ method: "POST", path: "/mcp" });
    expect(capabilities.plugins.find((plugin) => plugin.name === "fx")).toMatchObject({ tools: [], lists_tools: true });
  });

  it("relays other MCP servers' tools when mcp.relay allows it", async () => {
    const client = await connect(relaying);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(["fx__echo"]);
    expect(await client.callTool({ name: "fx__echo", arguments: { text: "relayed" } })).toMatchObject({ content: [{ type: "text", text: "echo: relayed" }] });
    await client.close();
  });

  it("is behind the bearer key, and absent unless mcp.serve is on", async () => {
    await expect(connect(proxy, "wrong-key-0123456789abcdef")).rejects.toThrow(/401|Invalid API key/);
    const plain = await startProxy({ plugins: [definePlugin({ name: "local", tools: [weather] })] });
    try {
      const response = await fetch(`${plain.url}/mcp`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      expect(response.status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});
