import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import fc from "fast-check";
import { createStorage, normalizeKey } from "unstorage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fsStorage from "../../../plugins/storage-fs/index.ts";
import { keySegment, keys } from "../../../src/state/keys.ts";

/**
 * Keys built from client input (response ids, conversation names, session ids, run ids, plugin names)
 * must stay one inert segment under their store's prefix: no `:` or `/` that unstorage would read as
 * a namespace, no `.`/`..` segment that the fs driver would follow, and no two ids sharing a key.
 */

const runs = Number(process.env.FUZZ_RUNS ?? 500);

const hostile = [
  "..",
  ".",
  "../../etc/passwd",
  "..\\..\\windows",
  "a:b",
  "a/b",
  "a\\b",
  "runs:x",
  "%2E%2E",
  "%2e%2e%2fescape",
  "%3A",
  "a?b=c",
  "#frag",
  "*",
  "~",
  "résumé",
  "🙂",
  "\u0000",
  "\ud800",
  "a\udfffb",
  " ",
  "x".repeat(256),
  "x".repeat(300),
  "é".repeat(100),
];

/** One unit of a hostile id: separators, dots, escapes, any code point, and lone surrogates. */
const unit = fc.oneof(
  fc.constantFrom(":", "/", "\\", ".", "..", "%", "*", "?", "#", "%2E", "%3A", "%2F", "%u", "\u0000"),
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
);
const clientId = fc.string({ unit, minLength: 1, maxLength: 24 });

const builders = {
  "sessions:": keys.session,
  "responses:": keys.response,
  "conversations:": keys.conversation,
  "plugins:": keys.plugin,
  "runs:": keys.run,
} as const;

describe("storage keys built from client input", () => {
  it("encode any id, lone surrogates included, into one segment of inert characters", () => {
    for (const id of hostile) expect(keySegment(id)).toMatch(/^[A-Za-z0-9%_!~'()-]+$/);
    fc.assert(
      fc.property(clientId, (id) => /^[A-Za-z0-9%_!~'()-]+$/.test(keySegment(id))),
      { numRuns: runs },
    );
  });

  it("stay under their store's prefix as unstorage reads them", () => {
    const check = (id: string) => {
      for (const [prefix, build] of Object.entries(builders)) {
        const key = build(id);
        // unstorage leaves the key as it is: one prefix, one segment, no `.`/`..` segment.
        expect(normalizeKey(key)).toBe(key);
        expect(key.startsWith(prefix)).toBe(true);
        expect(key.split(":")).toHaveLength(2);
      }
      const event = keys.runEvent(id, 7);
      expect(normalizeKey(event)).toBe(event);
      expect(event.split(":")).toEqual(["run-events", keySegment(id), "00000007"]);
      expect(keys.runEvents(id)).toBe(`run-events:${keySegment(id)}:`);
    };
    for (const id of hostile) check(id);
    fc.assert(
      fc.property(clientId, (id) => (check(id), true)),
      { numRuns: runs },
    );
  });

  it("stay short enough for a file name, however long the id", () => {
    for (const id of hostile) expect(keySegment(id).length).toBeLessThanOrEqual(160);
    expect(keySegment("x".repeat(160))).toBe("x".repeat(160));
    expect(keySegment("x".repeat(161))).toMatch(/^%h[0-9a-f]{64}$/);
  });

  it("never give two ids the same key", () => {
    const segments = new Set(hostile.map(keySegment));
    expect(segments.size).toBe(hostile.length);
    // The pairs most likely to collide: a lone surrogate and its replacement character or escape.
    expect(new Set(["\ud800", "\ufffd", "%uD800", "%ud800", "%25uD800"].map(keySegment)).size).toBe(5);
    fc.assert(
      fc.property(clientId, clientId, (a, b) => a === b || keySegment(a) !== keySegment(b)),
      { numRuns: runs },
    );
  });
});

describe("an fs-backed store with hostile ids", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "hermes-keys-"));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  async function filesUnder(dir: string): Promise<string[]> {
    const entries = await readdir(dir, { withFileTypes: true, recursive: true });
    return entries.filter((entry) => entry.isFile()).map((entry) => relative(root, join(entry.parentPath, entry.name)));
  }

  it("writes every record inside its own namespace directory and reads it back", async () => {
    // The first-party fs storage, as `storage: "fs:<dir>"` opens it.
    const storage = createStorage({ driver: fsStorage({ base: join(root, "store") }).driver });
    try {
      for (const [index, id] of hostile.entries()) {
        for (const build of Object.values(builders)) await storage.setItem(build(id), { index, id });
        await storage.setItem(keys.runEvent(id, 1), { index });
      }
      for (const [index, id] of hostile.entries()) {
        for (const build of Object.values(builders)) expect(await storage.getItem(build(id))).toEqual({ index, id });
      }
      // Nothing beside the store's directory, and every file one level below its namespace (the
      // directory's process lock aside: `.lock`, never a key).
      expect(await readdir(root)).toEqual(["store"]);
      const files = (await filesUnder(root)).filter((file) => file !== join("store", ".lock"));
      expect(files).toHaveLength(hostile.length * (Object.keys(builders).length + 1));
      for (const file of files) {
        const [base, namespace, ...rest] = file.split(sep);
        expect(base).toBe("store");
        expect(["sessions", "responses", "conversations", "plugins", "runs", "run-events"]).toContain(namespace);
        expect(rest).toHaveLength(namespace === "run-events" ? 2 : 1);
      }
      // The namespace listing holds exactly the hostile ids' records, nothing from elsewhere.
      expect(await storage.getKeys("sessions:")).toHaveLength(hostile.length);
    } finally {
      await storage.dispose();
    }
  });
});
