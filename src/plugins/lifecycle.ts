import type { HermesPlugin } from "../plugin-api/index.ts";
import { logger } from "../utils/logger.ts";
import { createPluginLogger } from "./load.ts";

/**
 * Starts the plugins that have a `start` (an MCP server started eagerly), all at once. One that fails
 * is one warning line and the proxy starts without it: a tool server that is down must not take the
 * proxy down with it (its plugin may retry on its own).
 */
export async function startPlugins(plugins: readonly HermesPlugin[]): Promise<void> {
  await Promise.all(
    plugins.map(async (plugin) => {
      if (!plugin.start) return;
      try {
        await plugin.start({ logger: createPluginLogger(plugin.name) });
      } catch (error) {
        logger.warn(`plugin ${plugin.name} did not start: ${oneLine(error)}`);
      }
    }),
  );
}

/** Stops the plugins that have a `stop`, after the drain; a failure is logged and the others still stop. */
export async function stopPlugins(plugins: readonly HermesPlugin[]): Promise<void> {
  await Promise.all(
    plugins.map(async (plugin) => {
      if (!plugin.stop) return;
      try {
        await plugin.stop();
      } catch (error) {
        logger.warn(`plugin ${plugin.name} did not stop cleanly: ${oneLine(error)}`);
      }
    }),
  );
}

/**
 * What `hermes-proxy check` says about each plugin that can check itself: one line each, `ok` with its
 * summary or the reason it cannot start. Each check gets `timeoutMs`.
 */
export async function checkPlugins(plugins: readonly HermesPlugin[], timeoutMs: number): Promise<{ plugin: string; ok: boolean; line: string }[]> {
  return Promise.all(
    plugins
      .filter((plugin) => plugin.check)
      .map(async (plugin) => {
        const signal = AbortSignal.timeout(timeoutMs);
        try {
          const summary = await Promise.race([
            (plugin.check as NonNullable<HermesPlugin["check"]>)({ signal, logger: createPluginLogger(plugin.name) }),
            new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(new Error(`no answer in ${timeoutMs} ms`)), { once: true })),
          ]);
          return { plugin: plugin.name, ok: true, line: summary };
        } catch (error) {
          return { plugin: plugin.name, ok: false, line: oneLine(error) };
        }
      }),
  );
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]?.trim() || "unknown error";
}
