/**
 * `hermes-proxy/sdk`: what users and plugin authors write against. A curated list of named exports.
 */
export { defineConfig } from "./config.ts";
export type { HermesConfig, HermesConfigEnv, HermesConfigExport, HermesConfigFunction, HermesUserConfig } from "./config.ts";
export { definePlugin, type PluginDefinition } from "./plugin.ts";
export type { HermesPlugin, PluginContext, PluginHooks, PluginOption, PluginTaskContext, RunInfo } from "./plugin.ts";
export type { RequestInfo, RequestSummary, StorageOperationInfo, ToolCallInfo, UpstreamCall, UpstreamCallResult } from "./plugin.ts";
export { defineTool, type ToolDefinition } from "./tool.ts";
export type { HermesTool, HostedToolType, JsonValue, PluginLogger, ToolContext, ToolProgress, ToolResult } from "./tool.ts";
export { createKeyedQueue, defineStorage, RecordCache, logEntryKey, logLengthKey, type LogAppend, type StorageDefinition } from "./storage.ts";
export type { HermesStorage, StorageCoordination } from "./storage.ts";
export { lazyDriver } from "./lazy-driver.ts";
export { withOptionalPackage } from "./optional-package.ts";
export { acquireProcessLock } from "./process-lock.ts";
/**
 * zod, as the proxy uses it: tool parameters written with this `z` are turned into JSON Schema and
 * parse the model's arguments with the same major version the proxy was built against.
 *
 * @example
 * import { defineTool, z } from "hermes-proxy/sdk";
 * const echo = defineTool({ name: "echo", description: "Echoes", parameters: z.object({ text: z.string() }), execute: ({ text }) => text });
 */
export { z } from "zod";
export { HermesError, type HermesErrorInfo, type HermesErrorOptions, type HermesErrorType } from "./errors.ts";
export type * from "./events.ts";
