import { mkdtempSync } from "node:fs";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStorage } from "unstorage";
import { afterAll, describe, expect, it } from "vitest";
import { testStorage } from "../../sdk/testing.ts";
import fsStorage from "../../plugins/storage-fs/index.ts";

describe("storage-fs", () => {
  const root = mkdtempSync(join(tmpdir(), "hermes-storage-fs-"));
  let count = 0;
  afterAll(() => rm(root, { recursive: true, force: true }));

  testStorage({ create: () => fsStorage({ base: join(root, String(count++)) }) });

  it("writes through a temporary file and a rename: no half-written file, no stray temporary", async () => {
    const base = join(root, "atomic");
    const storage = createStorage({ driver: fsStorage({ base }).driver });
    const big = { text: "x".repeat(2_000_000) };
    // Readers racing a large overwrite see the old record or the new one, whole.
    await storage.setItem("records:a", { text: "old" });
    const reads: unknown[] = [];
    const writing = storage.setItem("records:a", big);
    for (let i = 0; i < 20; i++) reads.push(await storage.getItem("records:a"));
    await writing;
    for (const read of reads) expect(typeof read === "object" && read !== null).toBe(true);
    expect(await readdir(join(base, "records"))).toEqual(["a"]);
    expect(await storage.getKeys("records:")).toEqual(["records:a"]);
  });

  it("lists a prefix from its own directory and ignores temporary files", async () => {
    const base = join(root, "listing");
    const storage = createStorage({ driver: fsStorage({ base }).driver });
    await storage.setItem("runs:a", 1);
    await storage.setItem("responses:b", 2);
    await writeFile(join(base, "runs", ".tmp-leftover"), "{");
    expect(await storage.getKeys("runs:")).toEqual(["runs:a"]);
    expect((await storage.getKeys()).sort()).toEqual(["responses:b", "runs:a"]);
    await expect(storage.setItem("a:..:b", 1)).rejects.toThrow();
  });

  it("holds its directory with a lock file from its first operation to dispose, never listed, never cleared", async () => {
    const base = join(root, "locked");
    const storage = createStorage({ driver: fsStorage({ base }).driver });
    await storage.setItem("runs:a", 1);
    expect(JSON.parse(await readFile(join(base, ".lock"), "utf8"))).toMatchObject({ pid: process.pid });
    expect(await storage.getKeys()).toEqual(["runs:a"]);
    // A second storage on the directory in this process is refused too: one holder per directory.
    const second = createStorage({ driver: fsStorage({ base }).driver });
    await expect(second.getItem("runs:a")).rejects.toThrow(/is in use by another hermes-proxy process/);
    await storage.clear();
    expect(await readdir(base)).toEqual([".lock"]);
    await storage.dispose();
    await expect(readdir(base)).resolves.toEqual([]);
    // Released: the next holder takes it.
    expect(await second.getItem("runs:a")).toBeNull();
    await second.dispose();
  });
});
