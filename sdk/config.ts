import type { HermesUserConfig } from "../src/config/schema.ts";

export type { HermesConfig, HermesUserConfig } from "../src/config/schema.ts";

/** The environment a config function receives: `process.env` of the proxy process. */
export type HermesConfigEnv = Readonly<Record<string, string | undefined>>;

/** A config computed at startup, for values that depend on the environment or need `await`. */
export type HermesConfigFunction = (env: HermesConfigEnv) => HermesUserConfig | Promise<HermesUserConfig>;

/** What `hermes.config.ts` may export by default. */
export type HermesConfigExport = HermesUserConfig | HermesConfigFunction;

/**
 * Types a `hermes.config.ts` and returns it unchanged. Every field is optional; the environment
 * (`HERMES_PORT`, `HERMES_API_KEY`, `HERMES_UPSTREAM_URL`, …) and command-line flags override what the
 * file sets, and `hermes-proxy check` prints the result with secrets masked.
 *
 * @example
 * // hermes.config.ts
 * import { defineConfig } from "hermes-proxy/sdk";
 *
 * export default defineConfig({
 *   server: { port: 8642, host: "127.0.0.1" },
 *   upstream: { baseURL: "https://api.openai.com/v1", model: "gpt-4.1-mini" },
 *   model: { name: "hermes-agent" },
 *   storage: "fs:.hermes",
 * });
 *
 * @example
 * // A function receives the environment, for settings this proxy has no variable for.
 * export default defineConfig((env) => ({
 *   upstream: { baseURL: env.OLLAMA_URL ?? "http://127.0.0.1:11434/v1", apiKey: env.OLLAMA_KEY },
 * }));
 */
export function defineConfig(config: HermesUserConfig): HermesUserConfig;
export function defineConfig(config: (env: HermesConfigEnv) => HermesUserConfig): (env: HermesConfigEnv) => HermesUserConfig;
export function defineConfig(config: (env: HermesConfigEnv) => Promise<HermesUserConfig>): (env: HermesConfigEnv) => Promise<HermesUserConfig>;
export function defineConfig(config: HermesConfigExport): HermesConfigExport;
export function defineConfig(config: HermesConfigExport): HermesConfigExport {
  return config;
}
