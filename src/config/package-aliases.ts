import { fileURLToPath } from "node:url";

/**
 * Where `hermes-proxy`, `hermes-proxy/sdk`, `hermes-proxy/sdk/testing` and `hermes-proxy/plugins/<name>`
 * point when a config file imports them: at the copy of the proxy that is loading the config. A config
 * in a directory without its own `node_modules/hermes-proxy` (`npx hermes-proxy`, a git checkout,
 * whose package.json `exports` name the not-yet-built `dist/`) then still imports the SDK and the
 * first-party plugins, and always the same copy the CLI runs.
 *
 * The sources (`src/config/package-aliases.ts`) sit two folders below the repository root; the build
 * (`dist/src/config/package-aliases.js`) two below `dist/`, which holds `src/`, `sdk/` and `plugins/`
 * in the same layout.
 */
export function packageAliases(): Record<string, string> {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const extension = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  return {
    "hermes-proxy/sdk/testing": `${root}sdk/testing${extension}`,
    "hermes-proxy/sdk": `${root}sdk/index${extension}`,
    "hermes-proxy/plugins": `${root}plugins`,
    "hermes-proxy": `${root}src/index${extension}`,
  };
}
