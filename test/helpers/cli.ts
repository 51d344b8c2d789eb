import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export const binPath = fileURLToPath(new URL("../../bin/hermes-proxy.mjs", import.meta.url));
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/**
 * The parent's environment without anything that configures the proxy or marks a test run, so that a
 * developer's OPENAI_API_KEY never reaches a spawned proxy; `extra` adds what a test sets on purpose.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(?:OPENAI_|HERMES_|API_SERVER_|VITEST)/.test(name) || name === "NODE_ENV" || name === "PORT" || name === "HOST") continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** Runs the real command to completion (no stdin) and collects its output. */
export function runCli(args: readonly string[], options: CliOptions): Promise<CliResult> {
  const child = spawn(process.execPath, [binPath, ...args], { cwd: options.cwd, env: cleanEnv(options.env), stdio: ["ignore", "pipe", "pipe"] });
  return collect(child, options.timeoutMs ?? 15_000);
}

export function collect(child: ChildProcess, timeoutMs: number): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`timed out after ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface RunningCli {
  child: ChildProcess;
  /** `http://HOST:PORT` (or `https://`) from the `Listening on` line. */
  url: string;
  port: number;
  output(): { stdout: string; stderr: string };
  /** Resolves when the process exits. */
  exited: Promise<CliResult>;
}

/** Starts a long-running command and waits for its `Listening on http(s)://HOST:PORT` line. */
export function startCli(
  command: string,
  args: readonly string[],
  options: CliOptions & { detached?: boolean; envBase?: NodeJS.ProcessEnv },
): Promise<RunningCli> {
  const env = { ...(options.envBase ?? cleanEnv()), ...options.env };
  const child = spawn(command, args, { cwd: options.cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: options.detached ?? false });
  const exited = collect(child, 10 * 60_000);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: string) => (stdout += chunk));
  child.stderr?.on("data", (chunk: string) => (stderr += chunk));
  const output = () => ({ stdout, stderr });

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`no "Listening on" line after ${options.timeoutMs ?? 15_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 15_000);
    const onData = (): void => {
      const match = /Listening on (https?:\/\/\S+):(\d+)/.exec(stdout);
      if (match?.[1] === undefined || match[2] === undefined) return;
      finish();
      const port = Number(match[2]);
      resolve({ child, url: `${match[1]}:${port}`, port, output, exited });
    };
    const onExit = (): void => {
      finish();
      reject(new Error(`exited before listening\nstdout: ${stdout}\nstderr: ${stderr}`));
    };
    const finish = (): void => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.off("exit", onExit);
    };
    child.stdout?.on("data", onData);
    child.once("exit", onExit);
  });
}
