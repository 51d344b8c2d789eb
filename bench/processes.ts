import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { createServer } from "node:net";

/**
 * Child processes of the bench: each server gets its own process (so its CPU can be read from /proc)
 * and, when `taskset` exists, its own core. Every child is killed by `stopAll`, also when the bench
 * fails or is interrupted.
 */

export interface Server {
  name: string;
  pid: number;
  port: number;
  url: string;
  /**
   * Bytes the server allocated on its V8 heap while `work` ran (`allocation-probe.mjs`); undefined
   * without the probe. With `sitesFile`, the probe also samples where they were allocated and saves
   * the heap profile there.
   */
  allocation?<T>(work: () => Promise<T>, sitesFile?: string): Promise<{ result: T; allocation: Allocation | undefined }>;
  /** The used heap after a full GC (the probe's `live-heap`); undefined without the probe. */
  liveHeapBytes?(): Promise<number | undefined>;
  stop(): Promise<void>;
}

export interface Allocation {
  allocatedBytes: number;
  gcCount: number;
  gcMs: number;
  /** The sampling heap profile of the span, when asked for and saved. */
  sitesFile?: string;
  /** Why the heap profile asked for was not saved. */
  sitesError?: string;
}

/** `--import` of the probe that counts allocated bytes inside a server, for `StartOptions.argv`. */
export const allocationProbe = ["--import", new URL("./allocation-probe.mjs", import.meta.url).href];

const children = new Set<ChildProcess>();

/** Registers a child so that `killAll` ends it; it is forgotten once it exits. */
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

export const hasTaskset = (() => {
  try {
    execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/** Pins this (orchestrator) process and all its threads to `core`: it drives the stream clients. */
export function pinSelf(core: number): void {
  if (hasTaskset) execFileSync("taskset", ["-a", "-p", "-c", String(core), String(process.pid)], { stdio: "ignore" });
}

/** The command line for `argv`, pinned to `core` when possible. */
export function pinned(core: number | undefined, argv: string[]): [string, string[]] {
  if (core === undefined || !hasTaskset) return [argv[0]!, argv.slice(1)];
  return ["taskset", ["-c", String(core), ...argv]];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface StartOptions {
  name: string;
  argv: string[];
  core: number | undefined;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The port the server listens on; else it prints `{"port":N}` on its first stdout line. */
  port?: number;
  /** A GET path answering 200 once the server is ready (polled when `port` is given). */
  readyPath?: string;
  /**
   * Where stdout goes instead of a pipe to the bench (needs `port`). Hermes logs every request: on a
   * pipe the bench drains from the busy load core, a full pipe would block the server's writes.
   */
  stdoutFile?: string;
  /** An IPC channel to the child, for `allocationProbe` in its argv. */
  ipc?: boolean;
}

export async function startServer(options: StartOptions): Promise<Server> {
  const [command, args] = pinned(options.core, options.argv);
  const stdout = options.stdoutFile === undefined ? "pipe" : openSync(options.stdoutFile, "w");
  const child = track(
    spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ["ignore", stdout, "pipe", ...(options.ipc ? (["ipc"] as const) : [])] }),
  );
  if (typeof stdout === "number") closeSync(stdout);
  // Only the tail is kept, for the error message of a server that fails: hermes logs every request.
  let output = "";
  const keep = (text: string) => {
    output += text;
    if (output.length > 65_536) output = output.slice(-32_768);
  };
  child.stdout?.setEncoding("utf8").on("data", keep);
  child.stderr!.setEncoding("utf8").on("data", keep);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const deadline = Date.now() + 30_000;
  let port = options.port;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${options.name} exited with ${child.exitCode} before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${options.name} was not ready within 30 s:\n${output}`);
    }
    if (port === undefined) {
      const match = /\{"port":(\d+)\}/.exec(output);
      if (match) break;
    } else if (await answers(`http://127.0.0.1:${port}${options.readyPath ?? "/"}`)) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  port ??= Number(/\{"port":(\d+)\}/.exec(output)![1]);

  let asked = 0;
  // A heap profile takes a while to serialise and write: a longer wait for the stop that saves one.
  const ask = (probe: string, extra: Record<string, string> = {}, timeoutMs = 10_000) =>
    new Promise<Record<string, number | string | undefined>>((resolve, reject) => {
      const id = ++asked;
      const timer = setTimeout(() => reject(new Error(`${options.name} did not answer the allocation probe`)), timeoutMs);
      const listen = (message: { id?: number } & Record<string, number | string | undefined>) => {
        if (message?.id !== id) return;
        clearTimeout(timer);
        child.off("message", listen);
        if (typeof message.error === "string") reject(new Error(`${options.name}'s allocation probe: ${message.error}`));
        else resolve(message);
      };
      child.on("message", listen);
      child.send({ probe, id, ...extra });
    });

  return {
    name: options.name,
    pid: child.pid!,
    port,
    url: `http://127.0.0.1:${port}`,
    ...(options.ipc && {
      async allocation<T>(work: () => Promise<T>, sitesFile?: string) {
        await ask("allocation-start", sitesFile === undefined ? {} : { sitesFile });
        const result = await work();
        const reply = await ask("allocation-stop", {}, sitesFile === undefined ? 10_000 : 120_000);
        if (typeof reply.allocatedBytes !== "number") return { result, allocation: undefined };
        const allocation: Allocation = { allocatedBytes: reply.allocatedBytes, gcCount: Number(reply.gcCount ?? 0), gcMs: Number(reply.gcMs ?? 0) };
        if (typeof reply.sitesFile === "string") allocation.sitesFile = reply.sitesFile;
        if (typeof reply.sitesError === "string") allocation.sitesError = reply.sitesError;
        return { result, allocation };
      },
      async liveHeapBytes() {
        const reply = await ask("live-heap");
        return typeof reply.liveHeapBytes === "number" ? reply.liveHeapBytes : undefined;
      },
    }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** Kills every child still running; called on exit, on errors and on Ctrl-C. */
export function killAll(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  children.clear();
}
