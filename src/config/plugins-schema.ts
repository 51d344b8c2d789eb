import { z } from "zod";
import { formatPath } from "./diagnostics.ts";
import type { HermesPlugin, HermesStorage, HermesTool, PluginOption } from "../plugin-api/index.ts";

/**
 * The `plugins` field. Entries are what `definePlugin`, `defineTool` and `defineStorage` return, told
 * apart by their `kind` brand; falsy entries and nested lists are allowed (`enabled && plugin()`,
 * presets that return several plugins) and flattened. A bare tool or storage becomes a plugin of its
 * own name. Two plugins with one name, or two tools with one name, are config errors naming both.
 */

const isFunction = (value: unknown): value is (...args: never[]) => unknown => typeof value === "function";
const fn = (what: string) => z.custom<(...args: never[]) => unknown>(isFunction, { message: `expected ${what} to be a function` });
const zodSchema = z.custom<z.ZodType>(
  (value) => typeof value === "object" && value !== null && "_zod" in value && isFunction((value as { safeParse?: unknown }).safeParse),
  { message: "expected a zod v4 schema (defineTool's parameters)" },
);

const toolSchema = z.looseObject({
  kind: z.literal("tool"),
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { message: "expected 1-64 letters, digits, _ or -" }),
  description: z.string().min(1),
  parameters: zodSchema,
  jsonSchema: z.record(z.string(), z.unknown()),
  execute: fn("execute"),
  emoji: z.string().optional(),
  label: fn("label").optional(),
  timeoutMs: z.number().int().positive().optional(),
  needsApproval: z.union([z.boolean(), fn("needsApproval")]).optional(),
});

const storageSchema = z.looseObject({
  kind: z.literal("storage"),
  name: z.string().min(1),
  driver: z.looseObject({ getItem: fn("driver.getItem"), hasItem: fn("driver.hasItem"), getKeys: fn("driver.getKeys") }),
});

const pluginSchema = z.looseObject({
  kind: z.literal("plugin"),
  name: z.string().min(1),
  tools: z.array(toolSchema).default([]),
  storage: storageSchema.optional(),
  hooks: z
    .looseObject({
      onRunStart: fn("onRunStart").optional(),
      onEvent: fn("onEvent").optional(),
      onRunEnd: fn("onRunEnd").optional(),
      onRequestStart: fn("onRequestStart").optional(),
      onRequestEnd: fn("onRequestEnd").optional(),
      onUpstreamStart: fn("onUpstreamStart").optional(),
      onUpstreamEnd: fn("onUpstreamEnd").optional(),
      onToolCall: fn("onToolCall").optional(),
      onStorageOperation: fn("onStorageOperation").optional(),
    })
    .optional(),
  listTools: fn("listTools").optional(),
  start: fn("start").optional(),
  stop: fn("stop").optional(),
  check: fn("check").optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
});

const entrySchema = z.discriminatedUnion("kind", [pluginSchema, toolSchema, storageSchema], {
  error: "expected a plugin made with definePlugin(), defineTool() or defineStorage()",
});

type Entry = z.output<typeof entrySchema>;

interface Placed {
  plugin: HermesPlugin;
  path: (string | number)[];
}

export const pluginsConfigSchema = z
  .array(z.unknown())
  .describe("a list of plugins (definePlugin, defineTool or defineStorage values)")
  .default([])
  .transform((options, context) => {
    const placed = flatten(options, [], context);
    checkUnique(placed, context);
    return placed.map((entry) => entry.plugin);
  }) as unknown as z.ZodDefault<z.ZodType<HermesPlugin[], readonly PluginOption[]>>;

/**
 * Walks the list depth first, skipping falsy entries and descending into nested lists, and validates
 * each entry where it stands, so that a problem is reported at its real path (`plugins[1][0].name`).
 */
function flatten(options: readonly unknown[], path: (string | number)[], context: z.RefinementCtx): Placed[] {
  const placed: Placed[] = [];
  options.forEach((option, index) => {
    if (!option) return;
    const at = [...path, index];
    if (Array.isArray(option)) return void placed.push(...flatten(option, at, context));
    const parsed = entrySchema.safeParse(option);
    if (parsed.success) return void placed.push({ plugin: asPlugin(parsed.data), path: at });
    for (const issue of parsed.error.issues) {
      // An unknown `kind` is a problem of the entry as a whole, not of its `kind` field.
      const inner = issue.code === "invalid_union" ? [] : issue.path;
      context.addIssue({ code: "custom", message: issue.message, path: [...at, ...inner] });
    }
  });
  return placed;
}

function asPlugin(entry: Entry): HermesPlugin {
  if (entry.kind === "plugin") return entry as unknown as HermesPlugin;
  if (entry.kind === "tool") return { kind: "plugin", name: entry.name, tools: [entry as unknown as HermesTool] };
  return { kind: "plugin", name: entry.name, tools: [], storage: entry as unknown as HermesStorage };
}

function checkUnique(placed: readonly Placed[], context: z.RefinementCtx): void {
  const plugins = new Map<string, Placed>();
  const tools = new Map<string, { owner: Placed; index: number }>();
  let storage: Placed | undefined;
  for (const entry of placed) {
    const { name } = entry.plugin;
    const first = plugins.get(name);
    if (first)
      context.addIssue({
        code: "custom",
        path: entry.path,
        message: `two plugins are named "${name}": ${at(first.path)} and ${at(entry.path)}; give each its own name`,
      });
    else plugins.set(name, entry);
    entry.plugin.tools.forEach((tool, index) => {
      const owner = tools.get(tool.name);
      if (owner && owner.owner !== entry)
        context.addIssue({
          code: "custom",
          path: [...entry.path, "tools", index],
          message: `two tools are named "${tool.name}": in plugin "${owner.owner.plugin.name}" (${at(owner.owner.path)}) and in plugin "${name}" (${at(entry.path)})`,
        });
      else if (owner)
        context.addIssue({ code: "custom", path: [...entry.path, "tools", index], message: `plugin "${name}" has two tools named "${tool.name}"` });
      else tools.set(tool.name, { owner: entry, index });
    });
    if (entry.plugin.storage && storage)
      context.addIssue({
        code: "custom",
        path: entry.path,
        message: `two plugins provide storage: "${storage.plugin.name}" (${at(storage.path)}) and "${name}" (${at(entry.path)}); keep one`,
      });
    else if (entry.plugin.storage) storage = entry;
  }
}

/** Paths are relative to `plugins`; messages show them whole, as `plugins[0]`. */
function at(path: readonly (string | number)[]): string {
  return formatPath(["plugins", ...path]);
}
