/**
 * `hermes-proxy/sdk/testing`: the conformance suites a third party runs on its own plugin, the same
 * ones the first-party plugins pass, and helpers to call a tool as the proxy would. Needs vitest.
 */
export { callTool, createToolContext, type RecordingLogger, type ToolCallResult } from "./testing/tool-context.ts";
export { testTool, type ToolSuiteOptions } from "./testing/tool-suite.ts";
export { testStorage, type StorageSuiteOptions } from "./testing/storage-suite.ts";
export type { SuiteSkip } from "./testing/skips.ts";
