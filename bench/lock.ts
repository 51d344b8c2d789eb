import { openSync, readFileSync, rmSync, writeSync, closeSync } from "node:fs";

/**
 * One bench at a time on a machine: two would share the server core and both measure noise. A
 * second run waits for the first (the lock holds its pid; a lock whose process is gone is taken over).
 */
export async function acquireBenchLock(path: string, log: (line: string) => void): Promise<() => void> {
  let told = false;
  for (;;) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = Number(readFileSync(path, "utf8").trim());
    if (!isAlive(holder)) {
      rmSync(path, { force: true });
      continue;
    }
    if (!told) log(`another bench (pid ${holder}) is running; waiting for it to finish`);
    told = true;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
