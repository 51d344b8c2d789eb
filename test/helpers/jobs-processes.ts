import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { HermesUserConfig } from "../../src/config/schema.ts";
import { cleanEnv, repoRoot } from "./cli.ts";

const childPath = fileURLToPath(new URL("./jobs-child.ts", import.meta.url));

export interface JobsProcess {
  url: string;
  child: ChildProcess;
  /** Moves the process's scheduler clock; resolves once the timers due on the way have run. */
  advance(ms: number): Promise<void>;
  /** Shuts the proxy down the way `close()` does, and waits for the process to exit. */
  close(): Promise<void>;
}

/** A proxy in its own process (jobs-child.ts) whose job scheduler runs on a fake clock starting at `clockStart`. */
export function startJobsProcess(config: HermesUserConfig, clockStart: number): Promise<JobsProcess> {
  const child = spawn(process.execPath, ["--import", "jiti/register", childPath], {
    cwd: repoRoot,
    env: cleanEnv({ JOBS_CHILD_CONFIG: JSON.stringify(config), JOBS_CHILD_CLOCK: String(clockStart) }),
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let nextId = 0;
  const replies = new Map<number, () => void>();
  child.on("message", (message: { id: number }) => replies.get(message.id)?.());
  const send = (command: Record<string, unknown>) =>
    new Promise<void>((resolve, reject) => {
      const id = nextId++;
      replies.set(id, () => {
        replies.delete(id);
        resolve();
      });
      child.send({ ...command, id }, (error) => error && reject(error));
    });

  return new Promise((resolve, reject) => {
    const onExit = () => reject(new Error(`the jobs process exited before listening\nstdout: ${stdout}\nstderr: ${stderr}`));
    child.once("exit", onExit);
    child.stdout?.on("data", function onData() {
      const match = /Listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (!match) return;
      child.stdout?.off("data", onData);
      child.off("exit", onExit);
      resolve({
        url: match[1]!,
        child,
        advance: (ms) => send({ type: "advance", ms }),
        async close() {
          if (child.exitCode === null && child.connected) await send({ type: "close" });
          // Closed cleanly by now; a handle left open must not keep the test waiting.
          if (child.exitCode === null) child.kill("SIGTERM");
          await exited;
        },
      });
    });
  });
}
