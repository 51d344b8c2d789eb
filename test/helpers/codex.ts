import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";

/**
 * The Codex CLI, as a user installs it from npm, for the client tests. It is about 420 MB (a native
 * binary per platform), so it is no dependency of the project: `ensureCodex()` installs it on first use
 * into a cache folder under `node_modules/.cache`, once for all test workers and processes (a lock
 * folder), and `.ci/run` runs the same install before the suite (`test/helpers/codex-install.ts`).
 */
export const CODEX_VERSION = "0.171.0";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const codexCacheDir = join(repoRoot, "node_modules", ".cache", "hermes-test-clients", `codex-${CODEX_VERSION}`);
const codexEntry = join(codexCacheDir, "node_modules", "@openai", "codex", "bin", "codex.js");
/** Written after a complete install: a folder without it is a failed or unfinished one. */
const installedMark = join(codexCacheDir, "installed");
const lockDir = `${codexCacheDir}.lock`;
/** A lock older than this is left over from a killed install. */
const staleLockMs = 20 * 60_000;

/**
 * The path of Codex's `bin/codex.js` (run it with `node`), installing `@openai/codex@CODEX_VERSION` first
 * when the cache does not have it.
 *
 * @throws when npm fails: a failed install is a failed test, never a skip.
 */
export async function ensureCodex(): Promise<string> {
  for (;;) {
    if (existsSync(installedMark)) return codexEntry;
    await mkdir(dirname(lockDir), { recursive: true });
    if (await takeLock()) {
      try {
        if (!existsSync(installedMark)) await install();
        return codexEntry;
      } finally {
        await rm(lockDir, { recursive: true, force: true });
      }
    }
    await delay(1_000);
  }
}

async function takeLock(): Promise<boolean> {
  try {
    await mkdir(lockDir);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const age = Date.now() - (await stat(lockDir).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
    if (age > staleLockMs) await rm(lockDir, { recursive: true, force: true });
    return false;
  }
}

async function install(): Promise<void> {
  await rm(codexCacheDir, { recursive: true, force: true });
  await mkdir(codexCacheDir, { recursive: true });
  // A package.json of its own: npm must not walk up to the project's and touch its lock.
  await writeFile(join(codexCacheDir, "package.json"), JSON.stringify({ name: "hermes-test-codex", private: true }));
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const args = ["install", "--prefix", codexCacheDir, "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error", `@openai/codex@${CODEX_VERSION}`];
  const { code, output } = await run(npm, args, { cwd: codexCacheDir, timeoutMs: 15 * 60_000 });
  if (code !== 0) throw new Error(`installing @openai/codex@${CODEX_VERSION} failed (npm exit ${code}):\n${output.slice(-4000)}`);
  const installed = JSON.parse(await readFile(join(codexCacheDir, "node_modules", "@openai", "codex", "package.json"), "utf8")) as { version: string };
  if (installed.version !== CODEX_VERSION) throw new Error(`npm installed @openai/codex ${installed.version}, not ${CODEX_VERSION}`);
  // The JS entry only finds the native binary in the platform's optional package: check that it came.
  const probe = await run(process.execPath, [codexEntry, "--version"], { cwd: codexCacheDir, timeoutMs: 60_000 });
  if (probe.code !== 0 || !probe.output.includes(CODEX_VERSION)) throw new Error(`codex --version failed after the install:\n${probe.output}`);
  await writeFile(installedMark, `${CODEX_VERSION}\n`);
}

function run(
  command: string,
  args: string[],
  options: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** One line of `codex exec --json`. */
export interface CodexEvent {
  type: string;
  item?: {
    id: string;
    type: string;
    text?: string;
    command?: string;
    aggregated_output?: string;
    exit_code?: number | null;
    status?: string;
    message?: string;
  };
  usage?: Record<string, number>;
  error?: { message: string };
  message?: string;
}

export interface CodexRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** The JSONL events on stdout. */
  events: CodexEvent[];
  /** What `--output-last-message` wrote: the agent's last message. */
  lastMessage: string;
  /** Hosts Codex tried to reach besides the proxy (refused on loopback; see `runCodex`). */
  refusedHosts: string[];
}

export interface CodexOptions {
  /** The provider's base URL, such as `http://127.0.0.1:PORT/v1`. */
  baseURL: string;
  /** The key Codex sends (through `env_key`). */
  apiKey: string;
  prompt: string;
  /** `model` in config.toml; `undefined` leaves Codex's own default model. */
  model?: string;
  timeoutMs?: number;
  /** More `codex exec` options, before the prompt (`--disable FEATURE`, `-c key=value`). */
  args?: string[];
}

/**
 * Runs `codex exec --json` once, as a user with a custom provider would: a temporary `CODEX_HOME` whose
 * config.toml names the provider (`wire_api = "responses"`, `env_key` naming the variable with the proxy's key), a temporary
 * working folder outside any git repository (`--skip-git-repo-check`), Codex's default features and
 * sandbox (read-only, which runs `echo` here), no retries (a failure shows at once).
 *
 * Loopback only: Codex reaches for hosts of its own at start (plugin and app catalogs); every proxy
 * variable points at a listener on loopback that refuses them (the hosts are in `refusedHosts`), and
 * `NO_PROXY` lets the provider's loopback URL through. Update checks, analytics and feedback are off.
 */
export async function runCodex(options: CodexOptions): Promise<CodexRun> {
  const entry = await ensureCodex();
  const home = await mkdtemp(join(tmpdir(), "hermes-codex-home-"));
  const work = await mkdtemp(join(tmpdir(), "hermes-codex-work-"));
  const refuser = await startRefuser();
  try {
    const config = [
      ...(options.model !== undefined ? [`model = ${JSON.stringify(options.model)}`] : []),
      `model_provider = "hermes"`,
      `check_for_update_on_startup = false`,
      ``,
      `[analytics]`,
      `enabled = false`,
      ``,
      `[feedback]`,
      `enabled = false`,
      ``,
      `[model_providers.hermes]`,
      `name = "hermes-proxy"`,
      `base_url = ${JSON.stringify(options.baseURL)}`,
      `env_key = "HERMES_TEST_CODEX_KEY"`,
      `wire_api = "responses"`,
      `request_max_retries = 0`,
      `stream_max_retries = 0`,
      ``,
    ].join("\n");
    await writeFile(join(home, "config.toml"), config);
    const lastMessageFile = join(home, "last-message.txt");
    const proxyVariable = `http://127.0.0.1:${refuser.port}`;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: home,
      CODEX_HOME: home,
      HERMES_TEST_CODEX_KEY: options.apiKey,
      HTTPS_PROXY: proxyVariable,
      HTTP_PROXY: proxyVariable,
      ALL_PROXY: proxyVariable,
      https_proxy: proxyVariable,
      http_proxy: proxyVariable,
      all_proxy: proxyVariable,
      NO_PROXY: "127.0.0.1,localhost,::1",
      no_proxy: "127.0.0.1,localhost,::1",
    };
    const args = [
      entry,
      "exec",
      "--json",
      "--skip-git-repo-check",
      "--color",
      "never",
      "-C",
      work,
      "-o",
      lastMessageFile,
      ...(options.args ?? []),
      options.prompt,
    ];
    const result = await runCapturing(process.execPath, args, { cwd: work, env, timeoutMs: options.timeoutMs ?? 60_000 });
    const events = result.stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as CodexEvent);
    const lastMessage = await readFile(lastMessageFile, "utf8").catch(() => "");
    return { exitCode: result.code, stdout: result.stdout, stderr: result.stderr, events, lastMessage, refusedHosts: refuser.hosts };
  } finally {
    await refuser.close();
    await rm(home, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  }
}

function runCapturing(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    const timer = setTimeout(() => {
      stderr += `\n[test] codex did not finish within ${options.timeoutMs} ms: killed`;
      child.kill("SIGKILL");
    }, options.timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A loopback listener that reads the first line a client sends (`CONNECT host:443 …`) and hangs up. */
async function startRefuser(): Promise<{ port: number; hosts: string[]; close(): Promise<void> }> {
  const hosts: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    socket.once("data", (chunk: Buffer) => {
      const line = chunk.toString("latin1").split("\r\n", 1)[0] ?? "";
      hosts.push(line.split(" ")[1] ?? line);
      socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    hosts,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
