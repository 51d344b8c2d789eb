import { mkdtempSync } from "node:fs";
import { rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { captureLogs, type CapturedLogs } from "../../../src/utils/logger.ts";
import { type FakeUpstream, startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { startProxy, type TestProxy } from "../../helpers/proxy.ts";

/**
 * The storage outage on the local drivers, with the real file underneath: a SQLite file another
 * connection holds an exclusive lock on, and an fs directory whose writes fail (the `responses`
 * folder replaced by a file: writes under it fail with ENOTDIR, as on a disk gone bad; a read-only
 * mount cannot be simulated as root). In each case a `store: true` response gets 503
 * `storage_unavailable` with `Retry-After` within about a second and nothing is stored as if
 * acknowledged; stateless Chat Completions goes on answering; once the storage is back, the next
 * request is stored and chainable.
 */

const root = mkdtempSync(join(tmpdir(), "hermes-local-outage-"));
const question = { model: "m", input: "Remember the word pelican" };

describe.each([
  {
    name: "SQLite locked by another connection",
    storage: () => `sqlite:${join(root, "state.db")}`,
    break: async () => {
      const other = new Database(join(root, "state.db"));
      other.pragma("busy_timeout = 0");
      other.exec("BEGIN EXCLUSIVE");
      return async () => {
        other.exec("COMMIT");
        other.close();
      };
    },
  },
  {
    name: "fs writes failing",
    storage: () => `fs:${join(root, "data")}`,
    break: async () => {
      const folder = join(root, "data", "responses");
      await rename(folder, `${folder}.away`);
      await writeFile(folder, "not a folder");
      return async () => {
        await rm(folder);
        await rename(`${folder}.away`, folder);
      };
    },
  },
])("$name", (driver) => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;
  let logs: CapturedLogs;

  beforeAll(async () => {
    logs = captureLogs();
    upstream = await startFakeUpstream();
    proxy = await startProxy({ upstream: { baseURL: upstream.url, model: "fake-model" }, storage: driver.storage() });
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
    logs.restore();
  });

  const post = (path: string, body: unknown) => fetch(`${proxy.url}${path}`, { method: "POST", body: JSON.stringify(body) });

  it("answers 503 storage_unavailable fast while it is broken, keeps stateless chat answering, and stores again once it is back", async () => {
    // A first stored turn, so that the storage's folders and tables exist.
    upstream.enqueue({ text: "Noted." });
    const first = (await (await post("/v1/responses", question)).json()) as { id: string };
    const restore = await driver.break();
    try {
      upstream.enqueue({ text: "Never acknowledged." });
      const started = performance.now();
      const refused = await post("/v1/responses", { model: "m", input: "A new conversation" });
      const elapsed = performance.now() - started;
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).not.toBeNull();
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("storage_unavailable");
      expect(elapsed).toBeLessThan(3_000);

      upstream.enqueue({ text: "Still here." });
      const chat = await post("/v1/chat/completions", { model: "m", messages: [{ role: "user", content: "stateless" }] });
      expect(chat.status).toBe(200);
      expect(((await chat.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe("Still here.");
    } finally {
      await restore();
    }

    upstream.enqueue({ text: "Pelican." });
    const back = await post("/v1/responses", { model: "m", input: "Which word?", previous_response_id: first.id });
    expect(back.status).toBe(200);
    const stored = (await back.json()) as { id: string };
    const read = await fetch(`${proxy.url}/v1/responses/${stored.id}`);
    expect(read.status).toBe(200);
    // What went upstream for the chained turn: the whole chain, nothing of the refused turn.
    const sent = upstream.requests.at(-1)!.body.messages.map((message: { content: string }) => message.content);
    expect(sent).toEqual(["Remember the word pelican", "Noted.", "Which word?"]);
  });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
