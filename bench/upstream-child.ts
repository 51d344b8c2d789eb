import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/**
 * The bench's fake upstream (`fake-upstream.ts`) in a child process, for the in-process micro-benches:
 * its base URL once it listens, and how to stop it.
 */
export async function startFakeUpstream(): Promise<{ url: string; stop: () => void }> {
  const script = fileURLToPath(new URL("./fake-upstream.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "jiti/register", script], { stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once("line", resolve));
  const { port } = JSON.parse(line) as { port: number };
  return { url: `http://127.0.0.1:${port}/v1`, stop: () => child.kill() };
}
