import { ConfigError } from "../config/errors.ts";
import { checkStartup } from "../config/guards.ts";
import { displayPath } from "../config/load.ts";
import { maskConfig } from "../config/mask.ts";
import type { ConfigFlags } from "../config/overlay.ts";
import { resolveConfig } from "../config/resolve.ts";
import { printLines, printWarning } from "./output.ts";

/** How long a plugin's own check may take (an MCP server started and asked for its tools). */
const pluginCheckMs = 15_000;

/**
 * `hermes-proxy check`: the resolved config as JSON on stdout (secrets masked, so the output can be
 * pasted into an issue), notes on stderr. The startup guards run too: a config `serve` would refuse
 * does not pass `check`.
 *
 * @throws {ConfigError} when the config is invalid or the guards refuse it.
 */
export async function runCheck(flags: ConfigFlags): Promise<void> {
  const cwd = process.cwd();
  const { config, source } = await resolveConfig({ flags, env: process.env, cwd });
  const { errors, warnings } = checkStartup(config);
  if (errors.length > 0) throw new ConfigError(errors.join("\n"), { code: "startup_refused", problems: errors });
  // The files `server.tls` names are read and paired here too, so that `check` passes only what `serve` can use.
  const { readTls } = await import("../config/tls.ts");
  readTls(config.server.tls, cwd);
  const file = source === undefined ? "none (defaults and environment)" : displayPath(source, cwd);
  process.stderr.write(`hermes-proxy: config file: ${file}\n`);
  // Which storage `serve` would open (not opened here: `check` must work without it).
  const { chooseStorage } = await import("../state/select-storage.ts");
  const storage = await chooseStorage(config);
  process.stderr.write(
    `hermes-proxy: storage: ${storage.definition.description ?? storage.definition.name}${storage.source === "default" ? " (default)" : ""}\n`,
  );
  // Plugins that can check themselves (an MCP server started and listed): one line each, never a failed check.
  const { checkPlugins } = await import("../plugins/lifecycle.ts");
  for (const result of await checkPlugins(config.plugins, pluginCheckMs)) {
    if (result.ok) process.stderr.write(`hermes-proxy: plugin ${result.plugin}: ${result.line}\n`);
    else printWarning(`plugin ${result.plugin} cannot start: ${result.line}`);
  }
  for (const warning of warnings) printWarning(warning);
  printLines([JSON.stringify(maskConfig(config), null, 2)]);
}
