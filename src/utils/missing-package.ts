/**
 * The npm package an import could not find, when that is why it failed: Node's `ERR_MODULE_NOT_FOUND`
 * ("Cannot find package 'ioredis' imported from …"), CommonJS's `MODULE_NOT_FOUND` and jiti's
 * "Cannot find module 'ioredis'". A missing relative file or a broken package is not a missing package.
 *
 * @example
 * missingPackage(new Error("Cannot find package '@opentelemetry/api' imported from /app/x.js")) // "@opentelemetry/api"
 */
export function missingPackage(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const specifier = /Cannot find (?:package|module) '([^']+)'/.exec(current.message)?.[1];
    if (specifier === undefined || specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("node:")) continue;
    const segments = specifier.split("/");
    return specifier.startsWith("@") ? segments.slice(0, 2).join("/") : segments[0];
  }
  return undefined;
}

/** "npm install ioredis": what to run, said the same way everywhere. */
export function installHint(packageName: string): string {
  return `npm install ${packageName}`;
}

/**
 * Runs `load`, which imports (or first uses) an optional peer dependency such as `ioredis` or
 * `better-sqlite3`, and turns "that package is not installed" into one line naming what to install.
 * Any other failure passes through unchanged. The proxy installs none of these by default: a plugin
 * loads its package only once it is configured and used.
 *
 * @example
 * import { withOptionalPackage } from "hermes-proxy/sdk";
 * const { Redis } = await withOptionalPackage("ioredis", "storage-redis", () => import("ioredis"));
 */
export async function withOptionalPackage<T>(packageName: string, neededBy: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (missingPackage(error) !== packageName) throw error;
    throw new Error(`${neededBy} needs the ${packageName} package, which is not installed: ${installHint(packageName)}`, { cause: error });
  }
}
