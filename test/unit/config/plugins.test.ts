import { describe, expect, it } from "vitest";
import { problemsOf } from "../../helpers/config-problems.ts";
import { maskConfig } from "../../../src/config/mask.ts";
import { validateConfig } from "../../../src/config/validate.ts";
import { definePlugin, defineStorage, defineTool, z } from "../../../sdk/index.ts";
import memoryDriver from "unstorage/drivers/memory";

const tool = (name: string) => defineTool({ name, description: `The ${name} tool`, execute: () => name });
const plugin = (name: string, ...tools: string[]) => definePlugin({ name, tools: tools.map(tool) });

describe("config: plugins", () => {
  it("flattens nested lists, skips falsy entries, and wraps bare tools and storages", () => {
    const storage = defineStorage({ name: "memory-plugin", driver: memoryDriver() });
    const config = validateConfig({ plugins: [plugin("a", "one"), false, null, undefined, [[tool("two")], [false && plugin("b")]], storage] });
    expect(config.plugins.map((entry) => [entry.name, entry.tools.map((t) => t.name), entry.storage?.name])).toEqual([
      ["a", ["one"], undefined],
      ["two", ["two"], undefined],
      ["memory-plugin", [], "memory-plugin"],
    ]);
    expect(validateConfig({}).plugins).toEqual([]);
  });

  it("keeps the tools callable after validation", async () => {
    const config = validateConfig({ plugins: [plugin("a", "one")] });
    const loaded = config.plugins[0]!.tools[0]!;
    expect(loaded.parameters.safeParse({}).success).toBe(true);
    expect(await loaded.execute({}, undefined as never)).toBe("one");
  });

  it("names both plugins when two share a name", () => {
    expect(problemsOf({ plugins: [plugin("weather"), [false, plugin("weather")]] })).toEqual([
      'plugins[1][1]: two plugins are named "weather": plugins[0] and plugins[1][1]; give each its own name',
    ]);
  });

  it("names both plugins when two offer a tool of one name", () => {
    expect(problemsOf({ plugins: [plugin("a", "lookup"), plugin("b", "other", "lookup")] })).toEqual([
      'plugins[1].tools[1]: two tools are named "lookup": in plugin "a" (plugins[0]) and in plugin "b" (plugins[1])',
    ]);
    expect(problemsOf({ plugins: [definePlugin({ name: "twice", tools: [tool("x"), tool("x")] })] })).toEqual([
      'plugins[0].tools[1]: plugin "twice" has two tools named "x"',
    ]);
  });

  it("refuses two storage plugins", () => {
    const storage = (name: string) => defineStorage({ name, driver: memoryDriver() });
    expect(problemsOf({ plugins: [storage("one"), storage("two")] })).toEqual([
      'plugins[1]: two plugins provide storage: "one" (plugins[0]) and "two" (plugins[1]); keep one',
    ]);
  });

  it("refuses what the define helpers did not make", () => {
    expect(problemsOf({ plugins: [{ name: "hand-made" }] })).toEqual([
      "plugins[0]: expected a plugin made with definePlugin(), defineTool() or defineStorage()",
    ]);
    expect(problemsOf({ plugins: ["tool-clock"] })).toEqual(["plugins[0]: expected a plugin made with definePlugin(), defineTool() or defineStorage()"]);
    expect(problemsOf({ plugins: [{ ...tool("ok"), parameters: { type: "object" } }] })).toEqual([
      "plugins[0].parameters: expected a zod v4 schema (defineTool's parameters)",
    ]);
    expect(problemsOf({ plugins: "tool-clock" })).toEqual([
      'plugins: expected a list of plugins (definePlugin, defineTool or defineStorage values), received "tool-clock"',
    ]);
  });

  it("shows plugins by name and tools in `check` output", () => {
    const config = validateConfig({ plugins: [definePlugin({ name: "a", tools: [tool("one")], hooks: { onEvent() {} } })] });
    expect(maskConfig(config).plugins).toEqual([{ name: "a", tools: ["one"], hooks: ["onEvent"] }]);
  });
});

describe("define helpers", () => {
  it("defineTool computes the input-side JSON Schema once, without $schema", () => {
    const defined = defineTool({
      name: "search",
      description: "Searches",
      parameters: z.object({ query: z.string().describe("What to find"), limit: z.number().int().default(5) }),
      execute: () => [],
    });
    expect(defined.jsonSchema).toEqual({
      type: "object",
      properties: {
        query: { type: "string", description: "What to find" },
        limit: { type: "integer", default: 5, minimum: expect.any(Number), maximum: expect.any(Number) },
      },
      required: ["query"],
    });
    expect(Object.isFrozen(defined)).toBe(true);
  });

  it("defineTool refuses a definition the model could not call", () => {
    const base = { name: "ok", description: "Fine", execute: () => "" };
    expect(() => defineTool({ ...base, name: "has space" })).toThrow('defineTool: name "has space" must be 1-64 letters, digits, "_" or "-"');
    expect(() => defineTool({ ...base, description: " " })).toThrow("defineTool(ok): description must be a non-empty string");
    expect(() => defineTool({ ...base, parameters: z.string() as never })).toThrow("defineTool(ok): parameters must be an object schema");
    expect(() => defineTool({ ...base, parameters: {} as never })).toThrow("defineTool(ok): parameters must be a zod v4 schema");
    expect(() => defineTool({ ...base, parameters: z.object({ when: z.date() }) })).toThrow("cannot be expressed as JSON Schema");
    expect(() => defineTool({ ...base, timeoutMs: 0 })).toThrow("defineTool(ok): timeoutMs must be a positive integer");
  });

  it("definePlugin checks its parts", () => {
    expect(() => definePlugin({ name: "" })).toThrow("definePlugin: name must be a non-empty string");
    expect(() => definePlugin({ name: "p", tools: [{ name: "raw" } as never] })).toThrow("definePlugin(p): tools[0] was not made with defineTool()");
    expect(() => definePlugin({ name: "p", hooks: { onEvent: "nope" as never } })).toThrow("definePlugin(p): hooks.onEvent must be a function");
    expect(definePlugin({ name: "p" })).toEqual({ kind: "plugin", name: "p", tools: [] });
  });
});
