import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import type { HermesStorage } from "../../sdk/index.ts";
import { keys } from "../../src/state/keys.ts";
import { storageFromSpec } from "../../src/state/select-storage.ts";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { startProxy, type TestProxy } from "../helpers/proxy.ts";
import { describeStorages } from "../helpers/storages.ts";

const KEY = "session-writes-key-0123456789abcdef";

type Json = Record<string, any>;

/**
 * The reads of each key the storage's driver answers, counted under the proxy (installed before the
 * proxy wraps the driver), and a key's stored value read past the count.
 */
function spyOnReads(definition: HermesStorage) {
  const driver = definition.driver;
  const getItem = driver.getItem.bind(driver);
  const getItems = driver.getItems?.bind(driver);
  const reads = new Map<string, number>();
  /** Off while the test itself reads a record. */
  let counting = true;
  const count = (key: string) => counting && reads.set(key, (reads.get(key) ?? 0) + 1);
  /** A driver key, or Redis's `<prefix>:<key>` (the prefix has colons of its own). */
  const total = (counts: Map<string, number>, key: string) =>
    [...counts].reduce((sum, [counted, n]) => (counted === key || counted.endsWith(`:${key}`) ? sum + n : sum), 0);
  driver.getItem = (key, options) => {
    count(key);
    return getItem(key, options);
  };
  if (getItems)
    driver.getItems = (items, options) => {
      for (const item of items) count(item.key);
      return getItems(items, options);
    };
  /** Redis: the coordination talks to ioredis itself; its GETs and compare-and-set calls, by key suffix. */
  const scripts = new Map<string, number>();
  const spyOnClient = () => {
    const client = driver.getInstance?.() as Record<string, (...args: unknown[]) => unknown> | undefined;
    if (!client) return;
    // Unbound, and counted on the client only: ioredis copies a defined command onto the pipelines
    // it batches commands in, which call it again.
    const get = client.get!;
    const compareAndSet = client.hermesCompareAndSet!;
    client.get = function (this: unknown, key, ...rest) {
      if (this === client) count(String(key));
      return get.call(this, key, ...rest);
    };
    client.hermesCompareAndSet = function (this: unknown, key, ...rest) {
      if (this === client) scripts.set(String(key), (scripts.get(String(key)) ?? 0) + 1);
      return compareAndSet.call(this, key, ...rest);
    };
  };
  return {
    spyOnClient,
    reads: (key: string) => total(reads, key),
    scripts: (key: string) => total(scripts, key),
    async stored(key: string): Promise<Json | null> {
      counting = false;
      const raw = await Promise.resolve(getItem(key, {})).finally(() => (counting = true));
      return raw === null || raw === undefined ? null : (JSON.parse(String(raw)) as Json);
    },
  };
}

/**
 * A Chat turn's session record is one write: on a storage only this process writes (memory, and fs
 * and SQLite under their process lock) the coordination starts from the record it wrote last turn
 * instead of reading it back. A delete, or retention evicting the session,
 * makes the next turn start a fresh one.
 */
describeStorages("a Chat turn's session record", (target) => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;
  let spy: ReturnType<typeof spyOnReads>;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    const definition = await storageFromSpec(target.spec());
    spy = spyOnReads(definition);
    proxy = await startProxy({
      server: { apiKey: KEY },
      upstream: { baseURL: upstream.url, model: "fake-model", maxRetries: 0 },
      retention: { sessions: { maxEntries: 2 } },
      plugins: [definition],
    });
    spy.spyOnClient();
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await proxy?.close();
    await upstream?.close();
  });

  const turn = async (opening: string, answers: string[]) => {
    const messages: Json[] = [{ role: "user", content: opening }];
    for (const answer of answers) messages.push({ role: "assistant", content: answer }, { role: "user", content: `after ${answer}` });
    const reply = await proxy.client.chat.completions.create({ model: "fake-model", messages: messages as never }).withResponse();
    return { id: reply.response.headers.get("x-hermes-session-id")!, text: reply.data.choices[0]?.message.content };
  };
  /** The session as stored, once its turn's write (made after the answer went out) has landed. */
  const landed = async (id: string, turns: number) => {
    await expect.poll(async () => (await spy.stored(keys.session(id)))?.turnCount ?? 0).toBe(turns);
    return (await spy.stored(keys.session(id)))!;
  };

  it("records the second turn without reading the record back", async () => {
    upstream.enqueue({ text: "One.", usage: { inputTokens: 10, outputTokens: 1 } }, { text: "Two.", usage: { inputTokens: 20, outputTokens: 2 } });
    const first = await turn("Count with me", []);
    expect(first.text).toBe("One.");
    await landed(first.id, 1);
    const before = spy.reads(keys.session(first.id));
    // A first turn reads: nothing is known of the session yet. Redis presumes a key it has not seen
    // absent and lets the compare-and-set say otherwise: no read there.
    expect(before).toBe(target.name === "redis" ? 0 : 1);

    const second = await turn("Count with me", ["One."]);
    expect(second).toEqual({ id: first.id, text: "Two." });
    const record = await landed(first.id, 2);
    // Redis: the compare-and-set expects the record this process wrote, in one script call.
    expect(spy.reads(keys.session(first.id)) - before).toBe(0);
    if (target.name === "redis") expect(spy.scripts(keys.session(first.id))).toBe(2);
    expect(record).toMatchObject({ turnCount: 2, messageCount: 4, usage: { inputTokens: 30, outputTokens: 3, totalTokens: 33 } });
    // What the upstream got: the whole history the client sent, each turn.
    expect(upstream.requests.map((request) => request.body.messages.length)).toEqual([1, 3]);
  });

  it("starts a fresh session after DELETE /api/sessions/:id", async () => {
    upstream.enqueue({ text: "A." }, { text: "B." }, { text: "C." });
    const { id } = await turn("Delete me", []);
    await landed(id, 1);
    await turn("Delete me", ["A."]);
    await landed(id, 2);
    const deleted = await fetch(`${proxy.url}/api/sessions/${id}`, { method: "DELETE", headers: { authorization: `Bearer ${KEY}` } });
    expect(deleted.status).toBe(200);
    expect(await spy.stored(keys.session(id))).toBeNull();

    const again = await turn("Delete me", ["A.", "B."]);
    expect(again).toEqual({ id, text: "C." });
    const record = await landed(id, 1);
    expect(record).toMatchObject({ turnCount: 1, messageCount: 6 });
    const listed = (await (await fetch(`${proxy.url}/api/sessions/${id}`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as Json;
    expect(listed.session).toMatchObject({ id, turn_count: 1 });
  });

  it("starts a fresh session after retention evicted it", async () => {
    upstream.enqueue({ text: "A." }, { text: "B." }, { text: "x" }, { text: "y" }, { text: "C." });
    const { id } = await turn("Evict me", []);
    await landed(id, 1);
    await turn("Evict me", ["A."]);
    await landed(id, 2);
    // Two newer sessions (the bound is 2): the oldest, this one, is given up.
    for (const opening of ["Newer one", "Newer two"]) await landed((await turn(opening, [])).id, 1);
    await expect.poll(() => spy.stored(keys.session(id))).toBeNull();

    await turn("Evict me", ["A.", "B."]);
    expect(await landed(id, 1)).toMatchObject({ turnCount: 1, messageCount: 6 });
  });
});
