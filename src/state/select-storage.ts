import type { HermesConfig } from "../config/schema.ts";
import type { HermesStorage } from "../plugin-api/index.ts";

/** The storage in use and what chose it. */
export interface StorageChoice {
  definition: HermesStorage;
  /** `setting`: `storage` / `HERMES_STORAGE`; `plugin`: a storage plugin in `plugins`; `default`: nothing configured. */
  source: "setting" | "plugin" | "default";
}

/** With nothing configured: files under `$HERMES_HOME`, else `./.hermes` — kept across restarts, nothing to install. */
export function defaultStorageSpec(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return `fs:${env.HERMES_HOME?.trim() || ".hermes"}`;
}

/**
 * Which storage the proxy uses. Precedence: the `storage` setting (`HERMES_STORAGE` over the config
 * file's `storage`) > a storage plugin in `plugins` > the default. A setting beats a plugin so that one
 * config file can name the production storage as a plugin while `HERMES_STORAGE=memory` overrides it
 * for a local run; the startup guards warn when that happens.
 */
export async function chooseStorage(config: HermesConfig, env?: Readonly<Record<string, string | undefined>>): Promise<StorageChoice> {
  if (config.storage !== undefined) return { definition: await storageFromSpec(config.storage), source: "setting" };
  const plugin = config.plugins.find((entry) => entry.storage !== undefined)?.storage;
  if (plugin) return { definition: plugin, source: "plugin" };
  return { definition: await storageFromSpec(defaultStorageSpec(env)), source: "default" };
}

/**
 * A storage setting as its first-party plugin: `memory`, `fs:<dir>`, `sqlite:<file>`, `redis://…` or
 * `rediss://…`. Each plugin is imported only when chosen, so an unused one costs nothing.
 */
export async function storageFromSpec(spec: string): Promise<HermesStorage> {
  if (spec === "memory") return (await import("../../plugins/storage-memory/index.ts")).default();
  if (spec.startsWith("fs:")) return (await import("../../plugins/storage-fs/index.ts")).default({ base: spec.slice("fs:".length) });
  if (spec.startsWith("sqlite:")) return (await import("../../plugins/storage-sqlite/index.ts")).default({ path: spec.slice("sqlite:".length) });
  if (/^rediss?:\/\//.test(spec)) return (await import("../../plugins/storage-redis/index.ts")).default({ url: spec });
  throw new Error(`Unsupported storage "${spec}": expected "memory", "fs:<dir>", "sqlite:<file>" or "redis://host:port/db"`);
}
