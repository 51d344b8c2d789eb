import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveConfig } from "../../src/config/resolve.ts";
import { createHermes, type Hermes } from "../../src/index.ts";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { parseSse } from "../helpers/sse.ts";

/**
 * A plugin written the way a third party writes one: its own file in its own directory, importing only
 * `hermes-proxy/sdk` (which the config loader resolves to the running proxy, as beside `npx
 * hermes-proxy`: the directory has no node_modules), listed in that directory's hermes.config.ts,
 * loaded by the real config loader. The model then calls its tool through all three client formats.
 */

const pluginSource = `
import { definePlugin, defineTool, z } from "hermes-proxy/sdk";

export interface WeatherOptions { unit?: "C" | "F" }

export default function weather(options: WeatherOptions = {}) {
  return definePlugin({
    name: "acme-weather",
    tools: [
      defineTool({
        name: "get_weather",
        description: "Current weather for a city",
        parameters: z.object({ city: z.string().describe("City name") }),
        emoji: "🌦️",
        label: ({ city }) => "Weather in " + city,
        async execute({ city }, context) {
          const visits = ((await context.storage.getItem<number>("visits")) ?? 0) + 1;
          await context.storage.setItem("visits", visits);
          return { city, temperature: options.unit === "F" ? 64 : 18, unit: options.unit ?? "C", visits };
        },
      }),
    ],
  });
}
`;

const configSource = `
import { defineConfig } from "hermes-proxy/sdk";
import weather from "./weather-plugin.ts";

const enabled = false;

export default defineConfig({
  model: { name: "acme-agent" },
  plugins: [weather({ unit: "C" }), enabled && weather(), [null]],
});
`;

describe("a third-party plugin loaded from hermes.config.ts", () => {
  let dir: string;
  let upstream: FakeUpstream;
  let hermes: Hermes;
  let server: Server;
  let url: string;
  let client: OpenAI;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "hermes-third-party-"));
    await writeFile(join(dir, "weather-plugin.ts"), pluginSource);
    await writeFile(join(dir, "hermes.config.ts"), configSource);

    upstream = await startFakeUpstream();
    const { config } = await resolveConfig({
      cwd: dir,
      env: { HERMES_UPSTREAM_URL: upstream.url, HERMES_UPSTREAM_MODEL: "fake-model", HERMES_STORAGE: "memory" },
      flags: { port: 0 },
    });
    expect(config.plugins.map((plugin) => plugin.name)).toEqual(["acme-weather"]);
    hermes = await createHermes(config);
    server = createServer(hermes.handler);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0 });
  });
  afterAll(async () => {
    await hermes?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await upstream?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const weatherCall = (id: string) => ({ toolCalls: [{ id, name: "get_weather", arguments: { city: "Lyon" } }] });

  it("is called through Chat Completions, with hermes.tool.progress events", async () => {
    upstream.enqueue(weatherCall("call_chat"), { text: "18 degrees in Lyon." });
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "acme-agent", stream: true, messages: [{ role: "user", content: "Weather in Lyon?" }] }),
    });
    const frames = parseSse(await response.text());
    expect(frames.filter((frame) => frame.event === "hermes.tool.progress").map((frame) => JSON.parse(frame.data).status)).toEqual(["running", "completed"]);
    expect(JSON.parse(frames.find((frame) => frame.event === "hermes.tool.progress")!.data)).toMatchObject({ emoji: "🌦️", label: "Weather in Lyon" });
    const sent = upstream.requests[1]?.body;
    expect(sent.messages.at(-1)).toEqual({ role: "tool", tool_call_id: "call_chat", content: '{"city":"Lyon","temperature":18,"unit":"C","visits":1}' });
    expect(upstream.requests[0]?.body.tools[0].function.name).toBe("get_weather");
  });

  it("is called through the Responses API, as function_call and function_call_output items", async () => {
    upstream.enqueue(weatherCall("call_responses"), { text: "Still 18." });
    const stream = await client.responses.create({ model: "acme-agent", input: "Weather in Lyon?", stream: true });
    const added: string[] = [];
    let final: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      if (event.type === "response.output_item.added") added.push(event.item.type);
      if (event.type === "response.completed") final = event.response;
    }
    expect(added).toEqual(expect.arrayContaining(["function_call", "function_call_output", "message"]));
    const output = final?.output as unknown as { type: string; call_id?: string; output?: unknown }[];
    expect(output.find((item) => item.type === "function_call")).toMatchObject({ call_id: "call_responses" });
    expect(JSON.stringify(output.find((item) => item.type === "function_call_output"))).toContain("visits");
    expect(JSON.stringify(output.filter((item) => item.type === "message"))).toContain("Still 18.");
    expect(upstream.requests.at(-1)?.body.messages.at(-1)).toMatchObject({ role: "tool", tool_call_id: "call_responses" });
  });

  it("is called through the Runs API, as tool.started and tool.completed", async () => {
    upstream.enqueue(weatherCall("call_runs"), { text: "18 again." });
    const started = await fetch(`${url}/v1/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input: "Weather in Lyon?" }),
    });
    const { run_id } = (await started.json()) as { run_id: string };
    const events = parseSse(await (await fetch(`${url}/v1/runs/${run_id}/events`)).text()).map((frame) => JSON.parse(frame.data));
    expect(events.filter((event) => event.event.startsWith("tool."))).toMatchObject([
      { event: "tool.started", tool: "get_weather", preview: "Weather in Lyon" },
      { event: "tool.completed", tool: "get_weather", error: false },
    ]);
    expect(events.at(-1)).toMatchObject({ event: "run.completed", output: "18 again." });
    // Its storage namespace kept the count across the three calls.
    expect(upstream.requests.at(-1)?.body.messages.at(-1).content).toContain('"visits":3');
  });

  it("is listed by GET /v1/capabilities", async () => {
    const capabilities = (await (await fetch(`${url}/v1/capabilities`)).json()) as { tools: { name: string; plugin: string }[]; model: string };
    expect(capabilities.model).toBe("acme-agent");
    expect(capabilities.tools).toMatchObject([{ name: "get_weather", plugin: "acme-weather" }]);
  });
});
