import { execFile, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, collect, repoRoot, startCli } from "../helpers/cli.ts";
import type { RunningCli } from "../helpers/cli.ts";

/**
 * The package as a user gets it: `npm pack` (which builds dist/ through `prepack`), then the tarball
 * run with npx in an empty directory, installed into a clean project, imported from JavaScript and
 * type-checked from TypeScript, and handed to `npm publish --dry-run`.
 */

const run = promisify(execFile);
const manifest = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
  version: string;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
};
const { version } = manifest;
const firstPartyPlugins = (await readdir(join(repoRoot, "plugins"), { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name);

/** Installing the packed tarball's dependencies from the registry takes a while on a cold cache. */
const installTimeoutMs = 240_000;

let packDir: string;
let emptyDir: string;
let projectDir: string;
let tarball: string;
let env: NodeJS.ProcessEnv;
let cli: RunningCli | undefined;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  packDir = await mkdtemp(join(tmpdir(), "hermes-pack-"));
  emptyDir = await mkdtemp(join(tmpdir(), "hermes-npx-"));
  projectDir = await mkdtemp(join(tmpdir(), "hermes-project-"));
  // The user's own npm cache keeps the install fast; everything that configures the proxy is scrubbed.
  const cache = process.env.npm_config_cache ?? (await run("npm", ["config", "get", "cache"], { cwd: repoRoot })).stdout.trim();
  env = cleanEnv({ npm_config_cache: cache, npm_config_yes: "true", npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" });
  // `prepack` builds dist/ with tsconfig.build.json: this also proves the build works.
  await run("npm", ["pack", "--pack-destination", packDir], { cwd: repoRoot, env, maxBuffer: 16 * 1024 * 1024 });
  tarball = join(packDir, `hermes-proxy-${version}.tgz`);
  await writeFile(join(projectDir, "package.json"), JSON.stringify({ name: "hermes-user", private: true, type: "module" }));
  await run("npm", ["install", tarball], { cwd: projectDir, env, maxBuffer: 16 * 1024 * 1024, timeout: installTimeoutMs });
}, installTimeoutMs + 60_000);

afterAll(async () => {
  // npx runs the proxy a few processes down (npm → sh → node): end the whole group it leads.
  if (cli?.child.pid !== undefined && cli.child.exitCode === null) {
    try {
      process.kill(-cli.child.pid, "SIGTERM");
    } catch {
      // Already gone.
    }
    await Promise.race([cli.exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
    try {
      process.kill(-cli.child.pid, "SIGKILL");
    } catch {
      // Exited cleanly.
    }
  }
  await rm(packDir, { recursive: true, force: true });
  await rm(emptyDir, { recursive: true, force: true });
  await rm(projectDir, { recursive: true, force: true });
}, 30_000);

describe("the packed tarball", () => {
  it("holds LICENSE, README, bin, dist and declarations for the SDK and every plugin, and no tests", async () => {
    const { stdout } = await run("tar", ["tzf", tarball], { maxBuffer: 16 * 1024 * 1024 });
    const files = stdout.trim().split("\n");
    for (const file of ["package/LICENSE", "package/README.md", "package/package.json", "package/bin/hermes-proxy.mjs", "package/dist/src/cli.js"]) {
      expect(files).toContain(file);
    }
    for (const entry of ["sdk/index", "sdk/testing", "src/index", ...firstPartyPlugins.map((name) => `plugins/${name}/index`)]) {
      expect(files).toContain(`package/dist/${entry}.js`);
      expect(files).toContain(`package/dist/${entry}.d.ts`);
    }
    expect(files.filter((file) => /\.test\.|(^|\/)test\/|\/src\/.*\.ts$|\.map$/.test(file) && !file.endsWith(".d.ts"))).toEqual([]);
  });

  it("has declarations that import only its dependencies and optional peers", async () => {
    const allowed = new Set([...Object.keys(manifest.dependencies), ...Object.keys(manifest.peerDependencies), ...builtinModules]);
    const declarations = (await readdir(join(projectDir, "node_modules/hermes-proxy/dist"), { recursive: true })).filter((file) => file.endsWith(".d.ts"));
    const strays: string[] = [];
    for (const file of declarations) {
      // Comments out first: their examples import the package by its own name.
      const text = (await readFile(join(projectDir, "node_modules/hermes-proxy/dist", file), "utf8")).replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      for (const match of text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*"([^".][^"]*)"|\bimport\("([^".][^"]*)"\)/gm)) {
        const specifier = (match[1] ?? match[2])!;
        const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!;
        if (!allowed.has(name.replace(/^node:/, ""))) strays.push(`${file}: ${specifier}`);
      }
    }
    expect(strays).toEqual([]);
  });

  it("is accepted by npm publish --dry-run", async () => {
    // Exits 0; the one warning allowed is that a real publish needs a login.
    const { stdout, stderr } = await run("npm", ["publish", "--dry-run", tarball], { cwd: packDir, env, maxBuffer: 16 * 1024 * 1024 });
    expect(stdout).toContain(`+ hermes-proxy@${version}`);
    const warnings = stderr.split("\n").filter((line) => /^npm (?:warn|error)/i.test(line) && !/requires you to be logged in/.test(line));
    expect(warnings).toEqual([]);
  });

  it("installs lean: no openai, ioredis, better-sqlite3 or vitest unless the user adds them", () => {
    // (@opentelemetry/api, the otel plugin's optional peer, comes anyway: prom-client depends on it.)
    for (const name of ["openai", "ioredis", "better-sqlite3", "vitest"]) {
      expect(existsSync(join(projectDir, "node_modules", name)), name).toBe(false);
    }
  });

  it("imports every first-party plugin as hermes-proxy/plugins/<name>, from JavaScript and with types", async () => {
    const imports = firstPartyPlugins.filter((name) => name !== "otel");
    const script = `${imports.map((name, i) => `import p${i} from "hermes-proxy/plugins/${name}";`).join("\n")}
import { defineConfig } from "hermes-proxy/sdk";
console.log(JSON.stringify([${imports.map((_, i) => `typeof p${i}`).join(", ")}, typeof defineConfig]));
`;
    await writeFile(join(projectDir, "check.mjs"), script);
    const { stdout } = await run(process.execPath, ["check.mjs"], { cwd: projectDir, env });
    expect(JSON.parse(stdout)).toEqual([...imports.map(() => "function"), "function"]);

    // Every plugin, otel included, and the testing helpers (vitest is their optional peer) type-check
    // against the published declarations.
    await writeFile(
      join(projectDir, "config.ts"),
      `${firstPartyPlugins.map((name, i) => `import p${i} from "hermes-proxy/plugins/${name}";`).join("\n")}
import { defineConfig } from "hermes-proxy/sdk";
import type { testTool } from "hermes-proxy/sdk/testing";
export type TestTool = typeof testTool;
export default defineConfig({ plugins: [p${firstPartyPlugins.indexOf("tool-clock")}({ defaultTimeZone: "UTC" })] });
export const all = [${firstPartyPlugins.map((_, i) => `p${i}`).join(", ")}];
`,
    );
    await writeFile(
      join(projectDir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: true, types: [] },
        files: ["config.ts"],
      }),
    );
    const tsc = join(repoRoot, "node_modules/typescript/bin/tsc");
    const checked = await run(process.execPath, [tsc, "-p", "."], { cwd: projectDir, env }).then(
      () => "",
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(checked).toBe("");
  });

  it("says which package to install when the configured storage's is missing", async () => {
    for (const [storage, name] of [
      ["redis://127.0.0.1:1/0", "ioredis"],
      ["sqlite:./state.db", "better-sqlite3"],
    ] as const) {
      const child = spawn(process.execPath, ["node_modules/hermes-proxy/bin/hermes-proxy.mjs", "--port", "0"], {
        cwd: projectDir,
        env: { ...env, HERMES_STORAGE: storage },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const result = await collect(child, 30_000);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`needs the ${name} package, which is not installed: npm install ${name}`);
    }
  }, 90_000);
});

describe("npx --package <tarball> hermes-proxy", () => {
  it(
    "starts in an empty directory, loads a config that imports a plugin by its package name, and answers",
    async () => {
      const port = await freePort();
      // No node_modules here: the config's `hermes-proxy/...` imports resolve to the copy npx runs.
      await writeFile(
        join(emptyDir, "hermes.config.ts"),
        'import clock from "hermes-proxy/plugins/tool-clock";\nimport { defineConfig } from "hermes-proxy/sdk";\nexport default defineConfig({ storage: "memory", plugins: [clock()] });\n',
      );
      // The README's line for a local build.
      cli = await startCli("npx", ["--package", tarball, "hermes-proxy", "--port", String(port)], {
        cwd: emptyDir,
        envBase: env,
        detached: true,
        timeoutMs: installTimeoutMs,
      });
      expect(cli.port).toBe(port);
      expect(cli.output().stdout).toContain(`hermes-proxy ${version}`);

      const health = await fetch(`${cli.url}/health`);
      expect(health.status).toBe(200);

      const completion = await fetch(`${cli.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "hermes-agent", messages: [{ role: "user", content: "hello from npx" }] }),
      });
      expect(completion.status).toBe(200);
      const body = (await completion.json()) as { choices: Array<{ message: { content: string } }> };
      expect(body.choices[0]?.message.content).toContain("hello from npx");
      // The plugin the config imported by its package name is loaded.
      expect(cli.output().stdout).toMatch(/plugins: +tool-clock \(tools: get_current_time\)/);
    },
    installTimeoutMs + 30_000,
  );
});
