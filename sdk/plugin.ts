import type { HermesPlugin, HermesStorage, HermesTool, PluginHooks } from "../src/plugin-api/index.ts";

export type { HermesPlugin, PluginContext, PluginHooks, PluginOption, PluginTaskContext, RunInfo } from "../src/plugin-api/index.ts";
export type { RequestInfo, RequestSummary, StorageOperationInfo, ToolCallInfo, UpstreamCall, UpstreamCallResult } from "../src/plugin-api/index.ts";

/** What `definePlugin` takes. */
export interface PluginDefinition {
  /** Unique among the loaded plugins (two with one name are a config error); also its storage namespace. */
  name: string;
  /** Server-side tools, made with `defineTool`. @default [] */
  tools?: readonly HermesTool[];
  /** A storage driver, made with `defineStorage`. */
  storage?: HermesStorage;
  /** Observers of every run's event stream. */
  hooks?: PluginHooks;
  /**
   * Tools whose list changes while the proxy runs, asked when each run starts (beside the fixed
   * `tools`); may start what provides them on first use. A rejection leaves them out of that run.
   */
  listTools?: HermesPlugin["listTools"];
  /** Called when the proxy starts, before it takes requests; a rejection is one logged line, never a failed start. */
  start?: HermesPlugin["start"];
  /** Called on shutdown, once in-flight runs have drained. */
  stop?: HermesPlugin["stop"];
  /** For `hermes-proxy check`: resolves to a one-line summary of what `start` would do, or rejects with why it cannot. */
  check?: HermesPlugin["check"];
  /** What `check` shows of the plugin's options; leave secrets out (name them, not their values). */
  settings?: Readonly<Record<string, unknown>>;
}

/**
 * Defines a plugin: a named bundle of tools, a storage driver and hooks on the event stream. A plugin
 * is an ordinary value, so one in its own file or npm package loads the same way: import it in
 * `hermes.config.ts` and list it in `plugins`. Convention: a module default-exports a factory taking
 * the plugin's options.
 *
 * @throws {TypeError} when the name is empty or a tool or hook is not what the helpers make.
 * @example
 * import { definePlugin, defineTool } from "hermes-proxy/sdk";
 * import { z } from "zod";
 *
 * export default function greeter(options: { greeting?: string } = {}) {
 *   return definePlugin({
 *     name: "greeter",
 *     tools: [
 *       defineTool({
 *         name: "greet",
 *         description: "Greets someone by name",
 *         parameters: z.object({ name: z.string() }),
 *         execute: ({ name }) => `${options.greeting ?? "Hello"}, ${name}!`,
 *       }),
 *     ],
 *     hooks: { onRunEnd: (run, end) => console.log(run.runId, end.type) },
 *   });
 * }
 */
export function definePlugin(definition: PluginDefinition): HermesPlugin {
  const { name, tools = [], storage, hooks, listTools, start, stop, check, settings } = definition;
  if (typeof name !== "string" || name.trim() === "") throw new TypeError("definePlugin: name must be a non-empty string");
  for (const [index, tool] of tools.entries())
    if (tool?.kind !== "tool") throw new TypeError(`definePlugin(${name}): tools[${index}] was not made with defineTool()`);
  if (storage !== undefined && storage.kind !== "storage") throw new TypeError(`definePlugin(${name}): storage was not made with defineStorage()`);
  for (const [hook, value] of Object.entries(hooks ?? {}))
    if (typeof value !== "function") throw new TypeError(`definePlugin(${name}): hooks.${hook} must be a function`);
  for (const [field, value] of Object.entries({ listTools, start, stop, check }))
    if (value !== undefined && typeof value !== "function") throw new TypeError(`definePlugin(${name}): ${field} must be a function`);

  const plugin: HermesPlugin = {
    kind: "plugin",
    name,
    tools: Object.freeze([...tools]),
    ...(storage !== undefined && { storage }),
    ...(hooks !== undefined && { hooks: Object.freeze({ ...hooks }) }),
    ...(listTools !== undefined && { listTools }),
    ...(start !== undefined && { start }),
    ...(stop !== undefined && { stop }),
    ...(check !== undefined && { check }),
    ...(settings !== undefined && { settings: Object.freeze({ ...settings }) }),
  };
  return Object.freeze(plugin);
}
