import { stat } from "node:fs/promises";
import { relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { installHint, missingPackage } from "../utils/index.ts";
import { ConfigError } from "./errors.ts";
import { packageAliases } from "./package-aliases.ts";
import type { ConfigEnv } from "./overlay.ts";
import { isPlainObject } from "./overlay.ts";

/** Looked for in the working directory, in this order, when no `--config` is given. */
export const configFileNames: readonly string[] = ["hermes.config.ts", "hermes.config.mts", "hermes.config.js", "hermes.config.mjs"];

export interface LoadedConfigFile {
  /** The file's configuration object, after calling it when the default export is a function. */
  config: Record<string, unknown>;
  /** Absolute path of the file, or undefined when none was given and none was found. */
  source: string | undefined;
}

export interface LoadConfigFileOptions {
  cwd: string;
  /** From `--config`; a path that does not exist is an error, never a fall back to the defaults. */
  configPath?: string | undefined;
  /** Handed to a config function: `export default defineConfig((env) => ({ ... }))`. */
  env: ConfigEnv;
}

/**
 * Finds and imports the config file with jiti, so that `hermes.config.ts` needs no build step.
 *
 * @example
 * const { config, source } = await loadConfigFile({ cwd: process.cwd(), env: process.env });
 */
export async function loadConfigFile(options: LoadConfigFileOptions): Promise<LoadedConfigFile> {
  const source = await findConfigFile(options.cwd, options.configPath);
  if (source === undefined) return { config: {}, source };
  const shown = displayPath(source, options.cwd);

  let module: Record<string, unknown>;
  try {
    // Imported only when there is a file to load: jiti and its transform cost 5-14 MiB of memory.
    const { createJiti } = await import("jiti");
    const jiti = createJiti(pathToFileURL(source).href, { moduleCache: false, alias: packageAliases() });
    module = await jiti.import<Record<string, unknown>>(source);
  } catch (error) {
    // A plugin's package (or one it needs, e.g. @opentelemetry/api for otel) that is not installed.
    const missing = missingPackage(error);
    const reason = missing === undefined ? errorMessage(error) : `the ${missing} package is not installed: ${installHint(missing)}`;
    throw new ConfigError(`could not load config file ${shown}: ${reason}`, { code: "config_load_failed", cause: error });
  }

  if (!("default" in module)) {
    throw new ConfigError(`config file ${shown} has no default export; write \`export default defineConfig({ ... })\``, {
      code: "config_bad_export",
    });
  }
  return { config: await evaluateExport(module.default, shown, options.env), source };
}

async function findConfigFile(cwd: string, configPath: string | undefined): Promise<string | undefined> {
  if (configPath !== undefined) {
    const path = resolve(cwd, configPath);
    const kind = await fileKind(path);
    if (kind === "file") return path;
    const reason = kind === "missing" ? "config file not found" : "config path is not a file";
    throw new ConfigError(`${reason}: ${displayPath(path, cwd)} (from --config)`, { code: "config_not_found" });
  }
  for (const name of configFileNames) {
    const path = resolve(cwd, name);
    if ((await fileKind(path)) === "file") return path;
  }
  return undefined;
}

async function evaluateExport(exported: unknown, shown: string, env: ConfigEnv): Promise<Record<string, unknown>> {
  if (typeof exported === "function") {
    let result: unknown;
    try {
      result = await (exported as (env: ConfigEnv) => unknown)(env);
    } catch (error) {
      throw new ConfigError(`the config function in ${shown} threw: ${errorMessage(error)}`, { code: "config_load_failed", cause: error });
    }
    if (isPlainObject(result)) return result;
    throw new ConfigError(`the config function in ${shown} must return an object; it returned ${kind(result)}`, {
      code: "config_bad_export",
    });
  }
  if (isPlainObject(exported)) return exported;
  const expected = "an object or a function returning one (`export default defineConfig({ ... })`)";
  throw new ConfigError(`the default export of ${shown} must be ${expected}; it is ${kind(exported)}`, { code: "config_bad_export" });
}

async function fileKind(path: string): Promise<"file" | "other" | "missing"> {
  try {
    return (await stat(path)).isFile() ? "file" : "other";
  } catch {
    return "missing";
  }
}

/** Relative to the working directory when the file is inside it: shorter, and what the user typed. */
export function displayPath(path: string, cwd: string): string {
  const fromCwd = relative(cwd, path);
  return fromCwd !== "" && !fromCwd.startsWith("..") && !fromCwd.startsWith("/") ? `./${fromCwd}` : path;
}

function kind(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "not a plain object";
  return `a ${typeof value}`;
}

function errorMessage(error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).trim();
  // jiti's parse errors put the location on a second line; one line reads better after a colon.
  const located = /^([^\n]*?)\s*\n\s*(\S+:\d+:\d+)$/.exec(message);
  if (located !== null) return `${located[1]} (${located[2]})`;
  return message.replace(/\s*\n\s*/g, "; ");
}
