/**
 * `hermes-proxy/sdk`: what users and plugin authors write against. A curated list of named exports.
 */
export { defineConfig } from "./config.ts";
export type { HermesConfig, HermesConfigEnv, HermesConfigExport, HermesConfigFunction, HermesUserConfig } from "./config.ts";
export { HermesError, type HermesErrorInfo, type HermesErrorOptions, type HermesErrorType } from "./errors.ts";
export type * from "./events.ts";
