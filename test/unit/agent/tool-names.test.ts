import { describe, expect, it } from "vitest";
import { defineTool, z } from "../../../sdk/index.ts";
import { ToolNames } from "../../../src/agent/tool-names.ts";
import { createRegistry } from "../../../src/plugins/registry.ts";
import type { HermesEvent } from "../../../src/protocol/index.ts";
import { registryWith, runToEnd, silentLogger, userInput } from "../../helpers/agent-run.ts";
import { answer, callTools, scriptedUpstream } from "../../helpers/scripted-upstream.ts";
import { createStorage } from "unstorage";

describe("namespaced tool names", () => {
  it("qualifies each namespaced tool, shortens with a hash past 64 characters, and maps calls back by lookup", () => {
    const long = "n".repeat(60);
    const names = new ToolNames(
      [{ name: "plain" }, { name: "spawn_agent", namespace: "multi_agent_v1" }, { name: "wait", namespace: long }, { name: "x", namespace: "odd name!" }],
      [{ type: "custom", name: "apply_patch", namespace: "files" }, { type: "web_search" }],
    );
    const [plain, spawn, wait, odd] = names.tools.map((tool) => tool.name);
    expect(plain).toBe("plain");
    expect(spawn).toBe("multi_agent_v1__spawn_agent");
    expect(wait).toMatch(/^n+_[0-9a-f]{10}$/);
    expect(wait!.length).toBeLessThanOrEqual(64);
    expect(odd).toBe("odd_name___x");
    expect(names.tools.every((tool) => tool.namespace === undefined)).toBe(true);
    expect(names.hostedTools).toEqual([{ type: "custom", name: "files__apply_patch" }, { type: "web_search" }]);

    const started: HermesEvent = { type: "tool.call.started", callId: "c", itemId: "fc", name: wait! };
    names.restore(started);
    expect(started).toMatchObject({ namespace: long, name: "wait" });
    const custom: HermesEvent = {
      type: "opaque.completed",
      itemId: "i",
      value: { type: "custom_tool_call", call_id: "c2", name: "files__apply_patch", input: "" },
    };
    names.restore(custom);
    expect(custom).toMatchObject({ value: { namespace: "files", name: "apply_patch" } });

    expect(
      names.toUpstream([
        { type: "function_call", call_id: "c", namespace: "multi_agent_v1", name: "spawn_agent", arguments: "{}" },
        { type: "opaque", value: { type: "custom_tool_call", call_id: "c2", namespace: "files", name: "apply_patch", input: "p" } },
      ]),
    ).toEqual([
      { type: "function_call", call_id: "c", name: "multi_agent_v1__spawn_agent", arguments: "{}" },
      { type: "opaque", value: { type: "custom_tool_call", call_id: "c2", name: "files__apply_patch", input: "p" } },
    ]);
  });

  it("leaves a run without namespaces as it is", () => {
    const tools = [{ name: "a" }];
    const items = [{ type: "function_call" as const, call_id: "c", name: "a", arguments: "{}" }];
    const names = new ToolNames(tools, undefined);
    expect(names.tools).toBe(tools);
    expect(names.toUpstream(items)).toBe(items);
  });

  it("hands a namespaced call back to the client and stops the run for it", async () => {
    const upstream = scriptedUpstream(callTools([{ name: "crm__lookup", arguments: { id: 1 } }]));
    const events = await runToEnd(upstream, { input: userInput({ tools: [{ name: "lookup", namespace: "crm" }] }) });
    expect(upstream.calls[0]!.input.tools).toEqual([{ name: "crm__lookup" }]);
    expect(events.find((event) => event.type === "tool.call.completed")).toMatchObject({ namespace: "crm", name: "lookup", side: "client" });
    expect(events.at(-1)).toMatchObject({ type: "run.completed", status: "requires_action" });
  });
});

describe("a tool's hosted claim", () => {
  const search = () =>
    defineTool({ name: "search", description: "Searches", hosted: "web_search", parameters: z.object({ q: z.string() }), execute: () => "r" });

  it("is checked by defineTool", () => {
    expect(search().hosted).toBe("web_search");
    expect(() => defineTool({ name: "s", description: "d", hosted: "function", execute: () => "" })).toThrow(/hosted/);
  });

  it("is one tool per type", () => {
    const other = defineTool({ name: "other", description: "Searches too", hosted: "web_search", execute: () => "" });
    const services = () => ({ storage: createStorage(), logger: silentLogger });
    expect(() => createRegistry([{ kind: "plugin", name: "p", tools: [search(), other] }], services)).toThrow(/Two server tools claim/);
  });

  it("sits out a run whose client's hosted tool of that type goes upstream, and is offered otherwise", async () => {
    const registry = registryWith([search()]);
    const forwarded = scriptedUpstream(answer("ok"));
    await runToEnd(forwarded, { registry, input: userInput({ hostedTools: [{ type: "web_search" }] }) });
    expect(forwarded.calls[0]!.input.tools).toEqual([]);
    expect(forwarded.calls[0]!.input.hostedTools).toEqual([{ type: "web_search" }]);
    const standIn = scriptedUpstream(answer("ok"));
    await runToEnd(standIn, { registry });
    expect(standIn.calls[0]!.input.tools.map((tool) => tool.name)).toEqual(["search"]);
  });
});
