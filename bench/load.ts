import { execFileSync, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pinned, track } from "./processes.ts";

/**
 * The load generator: wrk when installed (C, so it needs a fraction of the CPU the servers do),
 * else autocannon if it resolves from this project. Both run as a child pinned to the load core.
 */

export interface LoadOptions {
  url: string;
  body: string;
  connections: number;
  seconds: number;
  core: number | undefined;
  /** Sent with every request besides the JSON content type (a peer's routing headers). */
  headers?: Record<string, string> | undefined;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  /** Requests per second. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Transport errors and timeouts. */
  errors: number;
  non2xx: number;
}

export type LoadGenerator = "wrk" | "autocannon";

/** wrk when installed, else autocannon; `BENCH_LOADGEN=autocannon` picks autocannon even beside wrk. */
export function findLoadGenerator(): { name: LoadGenerator; version: string } {
  const entry = autocannonEntry();
  if (process.env.BENCH_LOADGEN === "autocannon" && entry) return { name: "autocannon", version: entry.version };
  try {
    const banner = execFileSync("wrk", ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return { name: "wrk", version: wrkVersion(banner) };
  } catch (error) {
    // wrk prints its version and exits 1.
    const out = String((error as { stdout?: string }).stdout ?? "");
    if (out.startsWith("wrk")) return { name: "wrk", version: wrkVersion(out) };
  }
  if (entry) return { name: "autocannon", version: entry.version };
  throw new Error("No load generator: install wrk (apt-get install wrk, brew install wrk) or `npm i -D autocannon`");
}

/** `wrk debian/4.1.0-3+b2 [epoll] Copyright …` → `wrk debian/4.1.0-3+b2`. */
function wrkVersion(banner: string): string {
  return banner.split("\n")[0]!.split(" [")[0]!.trim();
}

function autocannonEntry(): { path: string; version: string } | undefined {
  try {
    const require = createRequire(import.meta.url);
    const pkg = require.resolve("autocannon/package.json");
    return { path: join(pkg, "..", "autocannon.js"), version: `autocannon ${require(pkg).version}` };
  } catch {
    return undefined;
  }
}

export async function runLoad(generator: LoadGenerator, options: LoadOptions): Promise<LoadResult> {
  return generator === "wrk" ? runWrk(options) : runAutocannon(options);
}

let bodyFiles = 0;

async function runWrk(options: LoadOptions): Promise<LoadResult> {
  const bodyFile = join(tmpdir(), `hermes-bench-${process.pid}-${bodyFiles++}.json`);
  writeFileSync(bodyFile, options.body);
  const script = new URL("./wrk-post.lua", import.meta.url).pathname;
  const args = ["wrk", "-t1", `-c${options.connections}`, `-d${options.seconds}s`, "--timeout", "10s", "-s", script, options.url];
  const headers = Object.entries(options.headers ?? {})
    .map(([name, value]) => `${name}: ${value}\n`)
    .join("");
  const output = await run(pinned(options.core, args), { ...process.env, BENCH_BODY_FILE: bodyFile, BENCH_HEADERS: headers });
  const line = /BENCH_JSON (\{.*\})/.exec(output);
  if (!line) throw new Error(`wrk printed no result:\n${output}`);
  const r = JSON.parse(line[1]!) as { requests: number; durationUs: number; errors: number; non2xx: number; p50Us: number; p99Us: number };
  const seconds = r.durationUs / 1e6;
  return { requests: r.requests, seconds, rps: r.requests / seconds, p50Ms: r.p50Us / 1000, p99Ms: r.p99Us / 1000, errors: r.errors, non2xx: r.non2xx };
}

async function runAutocannon(options: LoadOptions): Promise<LoadResult> {
  const entry = autocannonEntry()!;
  const args = [process.execPath, entry.path, "-j", "-c", String(options.connections), "-d", String(options.seconds), "-m", "POST"];
  args.push("-H", "content-type=application/json");
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push("-H", `${name}=${value}`);
  // `-I`: autocannon writes a random id for each request where the body says `[<id>]` (requestIdPlaceholder).
  args.push("-I", "-b", options.body, options.url);
  const r = JSON.parse(await run(pinned(options.core, args), process.env)) as {
    requests: { total: number };
    latency: { p50: number; p99: number };
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
  };
  return {
    requests: r.requests.total,
    seconds: r.duration,
    rps: r.requests.total / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

function run([command, args]: [string, string[]], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = track(spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] }));
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (text: string) => (stdout += text));
    child.stderr!.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${command} exited with ${code}:\n${stdout}${stderr}`))));
  });
}
