import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binPath, repoRoot, startCli, type RunningCli } from "../helpers/cli.ts";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";

/**
 * examples/weather, the plugin docs/plugins.md walks through, run as a user runs it: the real command
 * line started in that directory, which loads its own hermes.config.ts (the plugin beside it and a
 * first-party plugin imported as `hermes-proxy/plugins/tool-clock`), in front of the fake upstream.
 */

const exampleDir = join(repoRoot, "examples/weather");
let upstream: FakeUpstream;
let cli: RunningCli;
let stateDir: string;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  stateDir = await mkdtemp(join(tmpdir(), "hermes-example-"));
  cli = await startCli(process.execPath, [binPath, "--port", "0"], {
    cwd: exampleDir,
    env: { HERMES_UPSTREAM_URL: upstream.url, HERMES_UPSTREAM_MODEL: "fake-model", HERMES_STORAGE: `fs:${stateDir}`, HERMES_LOG_REQUESTS: "0" },
  });
});
afterAll(async () => {
  cli?.child.kill("SIGTERM");
  await cli?.exited;
  await upstream?.close();
  await rm(stateDir, { recursive: true, force: true });
});

describe("examples/weather from its own hermes.config.ts", () => {
  it("loads both plugins and advertises the example's model", async () => {
    await expect.poll(() => cli.output().stdout).toMatch(/plugins: +acme-weather, tool-clock \(tools: get_weather, get_current_time\)/);
    const models = (await (await fetch(`${cli.url}/v1/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((model) => model.id)).toContain("weather-agent");
  });

  it("runs the tool the model calls and keeps its count in the plugin's storage", async () => {
    const client = new OpenAI({ baseURL: `${cli.url}/v1`, apiKey: "unused", maxRetries: 0 });
    for (const [i, answer] of ["18 degrees.", "Still 18."].entries()) {
      upstream.enqueue({ toolCalls: [{ id: `call_${i}`, name: "get_weather", arguments: { city: "Lyon" } }] }, { text: answer });
      const completion = await client.chat.completions.create({ model: "weather-agent", messages: [{ role: "user", content: "Weather in Lyon?" }] });
      // The client got the model's answer, not the tool's output.
      expect(completion.choices[0]?.message.content).toBe(answer);
    }
    // The upstream was offered both plugins' tools and got the tool's results back.
    expect(upstream.requests[0]?.body.tools.map((tool: { function: { name: string } }) => tool.function.name)).toEqual(["get_weather", "get_current_time"]);
    expect(upstream.requests[1]?.body.messages.at(-1)).toEqual({
      role: "tool",
      tool_call_id: "call_0",
      content: '{"city":"Lyon","temperature":18,"unit":"C","lookups":1}',
    });
    expect(upstream.requests[3]?.body.messages.at(-1).content).toContain('"lookups":2');
    // The storage holds the plugin's record under its own namespace.
    const files = (await readdir(stateDir, { recursive: true })).filter((file) => file.includes("acme-weather") && file.endsWith("lookups"));
    expect(files).toHaveLength(1);
    expect(await readFile(join(stateDir, files[0]!), "utf8")).toBe("2");
  });

  it("runs the plugin's hook", async () => {
    await expect.poll(() => cli.output().stdout).toMatch(/\[acme-weather\] get_weather took \d+ ms/);
  });
});
