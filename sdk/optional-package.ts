import { installHint, missingPackage } from "../src/utils/index.ts";

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
