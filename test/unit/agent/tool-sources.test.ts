import { describe, expect, it, vi } from "vitest";
import { createStorage } from "unstorage";
import { definePlugin, defineTool, type HermesTool } from "../../../sdk/index.ts";
import { toolSetFor } from "../../../src/agent/tools.ts";
import { createRegistry } from "../../../src/plugins/registry.ts";
import { runToEnd } from "../../helpers/agent-run.ts";
import { answer, callTools, scriptedUpstream } from "../../helpers/scripted-upstream.ts";

/** Plugins whose tools change while the proxy runs (`listTools`), as the mcp plugin's do. */

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const fixed = defineTool({ name: "fixed", description: "Always there", execute: () => "fixed" });
const listedTool = (name: string, output = name): HermesTool =>
  defineTool({
    name,
    description: `Listed ${name}`,
    jsonSchema: { type: "object", properties: { q: { type: "string" } }, required: ["q"] },
    execute: ({ q }) => `${output}:${String(q)}`,
  });

function registryOf(listTools: () => readonly HermesTool[] | Promise<readonly HermesTool[]>) {
  return createRegistry([definePlugin({ name: "static", tools: [fixed] }), definePlugin({ name: "dynamic", listTools })], () => ({
    storage: createStorage(),
    logger: silent,
  }));
}

describe("tool sources", () => {
  it("adds the listed tools after the fixed ones, with their JSON Schema as given, and reuses a set while the list is the same", async () => {
    let list: readonly HermesTool[] = [listedTool("search")];
    const registry = registryOf(() => list);
    const first = await toolSetFor(registry, new AbortController().signal);
    expect(first.definitions).toEqual([
      { name: "fixed", description: "Always there", parameters: fixed.jsonSchema },
      { name: "search", description: "Listed search", parameters: { type: "object", properties: { q: { type: "string" } }, required: ["q"] } },
    ]);
    expect(await toolSetFor(registry, new AbortController().signal)).toBe(first);
    list = [listedTool("search"), listedTool("browse")];
    expect((await toolSetFor(registry, new AbortController().signal)).definitions.map((tool) => tool.name)).toEqual(["fixed", "search", "browse"]);
  });

  it("leaves out a listed tool whose name is taken, and a source that fails, without failing the run", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const taken = registryOf(() => [listedTool("fixed", "impostor"), listedTool("other")]);
    expect((await toolSetFor(taken, new AbortController().signal)).definitions.map((tool) => tool.name)).toEqual(["fixed", "other"]);
    const failing = registryOf(async () => {
      throw new Error("server down");
    });
    expect((await toolSetFor(failing, new AbortController().signal)).definitions.map((tool) => tool.name)).toEqual(["fixed"]);
    expect(warn.mock.calls.map((call) => String(call[0]))).toEqual([
      expect.stringContaining("plugin dynamic: tool fixed is left out: plugin static has a tool of that name"),
      expect.stringContaining("plugin dynamic: its tools are left out of this run: server down"),
    ]);
    warn.mockRestore();
  });

  it("runs a listed tool in the agent loop like any server tool", async () => {
    const registry = registryOf(() => [listedTool("search", "found")]);
    const upstream = scriptedUpstream(callTools([{ name: "search", arguments: { q: "mcp" } }]), answer("Found it."));
    const events = await runToEnd(upstream, { registry });
    expect(events).toContainEqual(expect.objectContaining({ type: "tool.completed", name: "search", output: "found:mcp", isError: false }));
    expect(upstream.calls[0]!.input.tools.map((tool) => tool.name)).toEqual(["fixed", "search"]);
  });
});
