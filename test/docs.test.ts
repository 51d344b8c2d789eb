import { execFile, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveConfig } from "../src/config/resolve.ts";
import { binPath, cleanEnv, collect, repoRoot, startCli, type RunningCli } from "./helpers/cli.ts";

/**
 * Every code block in README.md and docs/ is run, against a real proxy where it talks to one:
 *
 * - `ts file=PATH`: must be that file, word for word; the file is what the suite runs (examples/).
 * - `ts`: all type-checked together against the sources (tsc, the repository's tsconfig); a config
 *   (`export default`) is then loaded and validated by the real config loader; a client (it names
 *   http://127.0.0.1:8642) runs against the proxy; anything else is imported.
 * - `sh`: a block of curl calls runs in bash against the proxy, every call required to succeed
 *   (`--fail-with-body`); a line that starts the proxy (`npm start`, `npx hermes-proxy`,
 *   `hermes-proxy`, with its variables and flags) runs `hermes-proxy check` with them, which must
 *   accept them; `npm <script>` must name a script; `docker` lines need the Dockerfile and compose file
 *   that test/unit/deploy/docker.test.ts checks (docker itself is not available here).
 * - `json`: must parse. `text`: output and layouts, not code. A block without a language fails.
 *
 * docs/performance.md, docs/performance-history.md and docs/faults.md are measurement records (their
 * commands run the bench) and are
 * left out.
 */

const run = promisify(execFile);
const pages = ["README.md", ...readdirSync(join(repoRoot, "docs")).map((name) => `docs/${name}`)].filter(
  (page) => page.endsWith(".md") && page !== "docs/performance.md" && page !== "docs/performance-history.md" && page !== "docs/faults.md",
);

interface Block {
  page: string;
  line: number;
  lang: string;
  attributes: string;
  code: string;
}

function blocksOf(page: string): Block[] {
  const lines = readFileSync(join(repoRoot, page), "utf8").split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\S*)\s*(.*)$/.exec(lines[i]!);
    if (open === null) continue;
    const indent = open[1]!.length;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j]!)) body.push(lines[j++]!.slice(indent));
    blocks.push({ page, line: i + 1, lang: open[2]!, attributes: open[3]!, code: `${body.join("\n")}\n` });
    i = j;
  }
  return blocks;
}

const blocks = pages.flatMap(blocksOf);
const where = (block: Block) => `${block.page}:${block.line}`;
const apiKey = "docs-test-key-0123456789abcdef";
const blocksDir = join(repoRoot, ".docs-blocks");
const scripts = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

let proxy: RunningCli;
let cwd: string;
/** The proxy's address in place of the documented default. */
const onProxy = (code: string) => code.replaceAll("127.0.0.1:8642", new URL(proxy.url).host);

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), "hermes-docs-"));
  await rm(blocksDir, { recursive: true, force: true });
  await mkdir(blocksDir, { recursive: true });
  proxy = await startCli(process.execPath, [binPath, "--port", "0"], {
    cwd,
    // MCP served too, for docs/mcp.md's client.
    env: { HERMES_API_KEY: apiKey, HERMES_STORAGE: "memory", HERMES_LOG_REQUESTS: "0", HERMES_MCP_SERVE: "1" },
  });
});
afterAll(async () => {
  proxy?.child.kill("SIGTERM");
  await proxy?.exited;
  await rm(cwd, { recursive: true, force: true });
  await rm(blocksDir, { recursive: true, force: true });
});

describe("code blocks in the docs", () => {
  it("all say what they are", () => {
    expect(blocks.length).toBeGreaterThan(20);
    expect(blocks.filter((block) => !["ts", "sh", "json", "text"].includes(block.lang)).map(where)).toEqual([]);
  });

  it("show the files the suite runs, word for word", () => {
    const included = blocks.filter((block) => block.lang === "ts" && block.attributes.startsWith("file="));
    expect(included.length).toBeGreaterThanOrEqual(4);
    for (const block of included) {
      const path = block.attributes.slice("file=".length);
      expect(block.code, where(block)).toBe(readFileSync(join(repoRoot, path), "utf8"));
    }
  });

  it("parse, where they are JSON", () => {
    for (const block of blocks.filter((b) => b.lang === "json")) expect(() => JSON.parse(block.code), where(block)).not.toThrow();
  });

  const typescript = blocks.filter((block) => block.lang === "ts" && !block.attributes.startsWith("file="));
  const fileOf = (block: Block) => join(blocksDir, `${block.page.replace(/\W/g, "_")}_${block.line}.ts`);

  it("type-check, where they are TypeScript", async () => {
    for (const block of typescript) await writeFile(fileOf(block), block.code);
    await writeFile(
      join(blocksDir, "tsconfig.json"),
      JSON.stringify({ extends: "../tsconfig.json", compilerOptions: { noEmit: true, rootDir: ".." }, include: ["*.ts"] }),
    );
    const result = await run(process.execPath, [join(repoRoot, "node_modules/typescript/bin/tsc"), "-p", blocksDir], { cwd: repoRoot }).then(
      () => "",
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(result).toBe("");
  }, 120_000);

  it("load as valid configs, where they are config files", async () => {
    const configs = typescript.filter((block) => /^export default /m.test(block.code));
    expect(configs.length).toBeGreaterThanOrEqual(4);
    for (const block of configs) {
      const resolved = await resolveConfig({ cwd: blocksDir, flags: { config: fileOf(block) }, env: {} }).catch((error: unknown) => error as Error);
      expect(resolved instanceof Error ? `${where(block)}: ${resolved.message}` : "", where(block)).toBe("");
    }
  });

  it("run against the proxy, where they are clients", async () => {
    const clients = typescript.filter((block) => block.code.includes("127.0.0.1:8642"));
    expect(clients.length).toBeGreaterThanOrEqual(2);
    for (const block of clients) {
      const file = fileOf(block).replace(/\.ts$/, ".client.ts");
      await writeFile(file, onProxy(block.code));
      const child = spawn(process.execPath, ["--import", "jiti/register", file], {
        cwd: repoRoot,
        env: cleanEnv({ HERMES_API_KEY: apiKey }),
        stdio: ["ignore", "pipe", "pipe"],
      });
      const result = await collect(child, 30_000);
      expect({ code: result.code, stderr: result.stderr }, where(block)).toEqual({ code: 0, stderr: "" });
      expect(result.stdout.trim(), where(block)).not.toBe("");
    }
  }, 120_000);

  const shell = blocks.filter((block) => block.lang === "sh");
  /** Commands of a block: continuation lines joined, comments dropped. */
  const commandsOf = (block: Block) =>
    block.code
      .replace(/\\\n\s*/g, " ")
      .split("\n")
      .map((line) => line.replace(/\s+#\s.*$/, "").trim())
      .filter((line) => line !== "" && !line.startsWith("#"));
  const isCurl = (command: string) => /^(?:\w+=\$\()?curl /.test(command);

  it("run against the proxy, where they are curl calls", async () => {
    const calls = shell.filter((block) => commandsOf(block).some(isCurl));
    expect(calls.length).toBeGreaterThanOrEqual(5);
    for (const block of calls) {
      expect(
        commandsOf(block).filter((command) => !isCurl(command)),
        where(block),
      ).toEqual([]);
      const script = `set -euo pipefail\ncurl() { command curl --fail-with-body --max-time 20 "$@"; }\n${onProxy(block.code)}`;
      const child = spawn("bash", ["-c", script], { cwd, env: cleanEnv({ HERMES_API_KEY: apiKey }), stdio: ["ignore", "pipe", "pipe"] });
      const result = await collect(child, 60_000);
      expect({ code: result.code, stderr: result.stderr }, `${where(block)}\n${result.stdout}`).toEqual({ code: 0, stderr: "" });
    }
  }, 180_000);

  it("start the proxy with settings it accepts, name npm scripts that exist, and name files that exist", async () => {
    const commands = shell.filter((block) => !commandsOf(block).some(isCurl)).flatMap((block) => commandsOf(block).map((command) => ({ block, command })));
    expect(commands.length).toBeGreaterThanOrEqual(5);
    for (const { block, command } of commands) {
      for (const part of command.split(/\s*&&\s*/)) {
        const [, assignments = "", rest = ""] = /^((?:\w+=(?:\$\([^)]*\)|\S+)\s+)*)(.*)$/.exec(part)!;
        const env = Object.fromEntries(
          [...assignments.matchAll(/(\w+)=(\$\([^)]*\)|\S+)/g)].map(([, name, value]) => [
            name!,
            value!.startsWith("$(") ? "a-strong-random-generated-key-0123456789" : value!,
          ]),
        );
        const words = rest.split(/\s+/);
        const label = `${where(block)}: ${part}`;
        let args: string[] | undefined;
        if (words[0] === "npm" && words[1] === "start") args = words.slice(words.indexOf("--") === -1 ? words.length : words.indexOf("--") + 1);
        else if (words[0] === "hermes-proxy") args = words.slice(1);
        else if (words[0] === "npx" && words.includes("hermes-proxy")) args = words.slice(words.indexOf("hermes-proxy") + 1);
        else if (words[0] === "npm" && ["install", "ci", "pack"].includes(words[1]!)) continue;
        else if (words[0] === "npm") {
          const script = words[1] === "run" ? words[2]! : words[1]!;
          expect(scripts, label).toHaveProperty([script]);
          continue;
        } else if (words[0] === "docker") {
          expect(existsSync(join(repoRoot, "Dockerfile")) && existsSync(join(repoRoot, "docker-compose.yml")), label).toBe(true);
          continue;
        } else throw new Error(`${label}: the docs test does not know how to run this command`);
        const checkArgs = args[0] === "check" ? args : ["check", ...args.filter((arg) => arg !== "serve")];
        const child = spawn(process.execPath, [binPath, ...checkArgs], { cwd: repoRoot, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
        const result = await collect(child, 30_000);
        expect({ code: result.code, label }, result.stderr).toEqual({ code: 0, label });
      }
    }
  }, 120_000);
});
