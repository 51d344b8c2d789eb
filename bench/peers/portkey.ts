import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { allocationProbe, freePort, type Server, startServer } from "../processes.ts";

/**
 * Portkey's open-source gateway (`@portkey-ai/gateway`), the peer of `--peers`: installed on demand
 * into a cache folder (never a dependency of this project) and started as its own process on the
 * server core, routed to the bench's fake upstream by its headers (`x-portkey-provider: openai` and
 * `x-portkey-custom-host`, which it trusts for 127.0.0.1 by default). Chat Completions only.
 */

export const PORTKEY_VERSION = "1.15.2";

/**
 * The gateway takes any `@hono/node-server` ^1.3.3, and from 1.14.2 on that one hands back a
 * response's own (immutable) headers, which the gateway then appends to: every stream fails with
 * `TypeError: immutable` (Portkey-AI/gateway#1389, #1550). 1.14.1 is the newest that serves streams.
 */
const HONO_NODE_SERVER = "1.14.1";

/** The package manifest of the cache folder: the versions measured, pinned. */
const manifest = {
  private: true,
  description: "Installed by hermes-proxy's bench (npm run bench -- --peers); safe to delete.",
  dependencies: { "@portkey-ai/gateway": PORTKEY_VERSION },
  overrides: { "@hono/node-server": HONO_NODE_SERVER },
};

/** Installs the gateway into `dir` unless that exact install is there; returns its entry point. */
export function installPortkey(dir: string): string {
  const entry = join(dir, "node_modules/@portkey-ai/gateway/build/start-server.js");
  const wanted = `${JSON.stringify(manifest, null, 2)}\n`;
  const manifestFile = join(dir, "package.json");
  if (existsSync(entry) && existsSync(manifestFile) && readFileSync(manifestFile, "utf8") === wanted) return entry;
  mkdirSync(dir, { recursive: true });
  writeFileSync(manifestFile, wanted);
  process.stdout.write(`installing @portkey-ai/gateway@${PORTKEY_VERSION} into ${dir} … `);
  // No install scripts: its only one is patch-package, and the published package holds no patches.
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  execFileSync(npm, ["install", "--prefix", dir, "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--no-package-lock"], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  console.log("done");
  if (!existsSync(entry)) throw new Error(`npm installed @portkey-ai/gateway into ${dir}, but ${entry} is missing`);
  return entry;
}

/** The headers that route a request through Portkey to `upstreamUrl` as an OpenAI-compatible provider. */
export function portkeyHeaders(upstreamUrl: string): Record<string, string> {
  return {
    "x-portkey-provider": "openai",
    "x-portkey-custom-host": `${upstreamUrl}/v1`,
    // The fake upstream reads no key; the gateway wants one to forward.
    authorization: "Bearer bench",
  };
}

export async function startPortkey(options: { entry: string; core: number | undefined; logFile: string }): Promise<Server> {
  const port = await freePort();
  return startServer({
    name: "portkey",
    // --headless: no log-viewer UI (and no per-request log stream to feed it); the loopback preload
    // keeps it off every interface but 127.0.0.1 (it has no host option).
    argv: [process.execPath, "--import", new URL("./loopback.mjs", import.meta.url).href, ...allocationProbe, options.entry, `--port=${port}`, "--headless"],
    core: options.core,
    port,
    readyPath: "/",
    stdoutFile: options.logFile,
    ipc: true,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "production" },
  });
}
