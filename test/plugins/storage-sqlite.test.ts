import { mkdtempSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStorage } from "unstorage";
import { afterAll, describe, expect, it } from "vitest";
import { testStorage } from "../../sdk/testing.ts";
import sqliteStorage from "../../plugins/storage-sqlite/index.ts";

describe("storage-sqlite", () => {
  const root = mkdtempSync(join(tmpdir(), "hermes-storage-sqlite-"));
  let count = 0;
  afterAll(() => rm(root, { recursive: true, force: true }));

  testStorage({ create: () => sqliteStorage({ path: join(root, `${count++}.db`) }) });

  it("creates the file and its directory, in WAL mode, and keeps what it wrote across a reopen", async () => {
    const path = join(root, "nested", "dir", "state.db");
    const first = createStorage({ driver: sqliteStorage({ path }).driver });
    await first.setItem("responses:a", { kept: true });
    await first.dispose();
    const definition = sqliteStorage({ path });
    const second = createStorage({ driver: definition.driver });
    expect(await second.getItem("responses:a")).toEqual({ kept: true });
    const database = definition.driver.getInstance?.() as { exec(sql: string): Promise<unknown>; prepare(sql: string): { get(): Promise<unknown> } };
    expect(await database.prepare("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    await second.dispose();
  });

  it("fails with the reason when the file cannot be opened", async () => {
    // A directory that is a file: no database can be created under it.
    await writeFile(join(root, "not-a-directory"), "");
    const storage = createStorage({ driver: sqliteStorage({ path: join(root, "not-a-directory", "state.db") }).driver });
    await expect(storage.getItem("a")).rejects.toThrow(/^EEXIST: file already exists, mkdir .*not-a-directory/);
  });
});
