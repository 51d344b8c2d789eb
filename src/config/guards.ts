import { isLoopbackHost } from "./loopback.ts";
import { maskUrl } from "./mask.ts";
import type { HermesConfig } from "./schema.ts";

/** At least this many characters, after trimming, for a key that guards a network-reachable proxy. */
export const minimumApiKeyLength = 16;

/** Values copied from examples and templates; compared case-insensitively after trimming. */
const placeholderKeys = new Set([
  "changeme",
  "your-api-key",
  "your_api_key",
  "your_api_key_here",
  "test",
  "sk-xxx",
  "placeholder",
  "example",
  "dummy",
  "null",
  "none",
  "*",
  "**",
  "***",
]);

const setStrongKey = `set HERMES_API_KEY (or server.apiKey) to a random string of at least ${minimumApiKeyLength} characters`;

export interface StartupCheck {
  /** Reasons to refuse to start; each is one complete sentence. */
  errors: string[];
  /** Worth telling the operator, but the proxy starts. */
  warnings: string[];
}

/** Why `key` is too weak to protect a network-reachable proxy, or undefined when it is acceptable. */
export function apiKeyWeakness(key: string): string | undefined {
  const trimmed = key.trim();
  if (placeholderKeys.has(trimmed.toLowerCase())) return "it is a placeholder value";
  if (trimmed.length < minimumApiKeyLength) return `it is shorter than ${minimumApiKeyLength} characters`;
  return undefined;
}

/**
 * The startup guards of design.md "Security defaults", as a pure function of the resolved config:
 * a proxy that anyone on the network can reach must require a strong API key.
 *
 * @example
 * checkStartup(config).errors; // ["refusing to listen on 0.0.0.0 without an API key: …"]
 */
export function checkStartup(config: HermesConfig): StartupCheck {
  const { host, apiKey } = config.server;
  const errors: string[] = [];
  const warnings: string[] = [];
  const hasKey = apiKey !== undefined && apiKey.trim() !== "";
  const weakness = hasKey ? apiKeyWeakness(apiKey) : undefined;

  if (isLoopbackHost(host)) {
    if (!hasKey) {
      warnings.push(`no API key is set, so any program on this machine can use the proxy; set HERMES_API_KEY (or server.apiKey) to require one`);
    } else if (weakness !== undefined) {
      warnings.push(`the API key is weak (${weakness}); that is allowed on ${host}, but any other host would refuse it`);
    }
  } else if (!hasKey) {
    errors.push(`refusing to listen on ${host} without an API key: ${setStrongKey}, or listen on 127.0.0.1`);
  } else if (weakness !== undefined) {
    errors.push(`refusing to listen on ${host} with a weak API key (${weakness}): ${setStrongKey}, e.g. from \`openssl rand -hex 32\``);
  }
  const storagePlugin = config.plugins.find((plugin) => plugin.storage !== undefined);
  if (config.storage !== undefined && storagePlugin)
    warnings.push(`storage "${maskUrl(config.storage)}" is set, so the storage of plugin "${storagePlugin.name}" is not used`);
  const { metrics } = config;
  if (metrics.enabled && metrics.port !== undefined && !isLoopbackHost(metrics.host))
    warnings.push(`metrics are served on ${metrics.host}:${metrics.port} without the API key; keep that address on a private network`);
  return { errors, warnings };
}
