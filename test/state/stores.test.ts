import { expect, it, onTestFinished, vi } from "vitest";
import { hermesConfigSchema } from "../../src/config/schema.ts";
import type { Item } from "../../src/protocol/index.ts";
import { createConversationStore } from "../../src/state/conversations.ts";
import { createIdempotencyStore } from "../../src/state/idempotency.ts";
import { keys } from "../../src/state/keys.ts";
import type { StoredResponse } from "../../src/state/responses.ts";
import type { RunRecord } from "../../src/state/runs.ts";
import { captureLogs } from "../../src/utils/logger.ts";
import { describeStorages } from "../helpers/storages.ts";
import { useStores } from "../helpers/stores.ts";

const config = hermesConfigSchema.parse({
  storage: "memory",
  retention: { responses: { maxEntries: 3 }, sessions: { ttlMs: 400 } },
  agent: { runRetentionMs: 60_000 },
});

const message = (id: string, text: string): Item => ({ type: "message", id, role: "user", content: [{ type: "input_text", text }] }) as Item;

function turn(id: string, parentId: string | null, text: string): StoredResponse {
  return {
    response: { id, createdAt: 1, status: "completed", model: "m", output: [message(`${id}-out`, `answer ${text}`)], settings: {} },
    input: [message(`${id}-in`, text)],
    parentId,
    sessionId: "sess",
  };
}

describeStorages("every store", (target) => {
  const env = useStores(target, config);

  it("responses: stores turns, rebuilds a chain, reads one record per hot turn", async () => {
    await env.stores.responses.save(turn("r1", null, "one"));
    await env.stores.responses.save(turn("r2", "r1", "two"));
    await env.stores.responses.save(turn("r3", "r2", "three"));
    const reads = vi.spyOn(env.opened.storage, "getItem");
    const chain = await env.stores.responses.history("r3");
    expect(chain?.items.map((item) => item.id)).toEqual(["r1-in", "r1-out", "r2-in", "r2-out", "r3-in", "r3-out"]);
    expect(reads).toHaveBeenCalledTimes(1);
    expect(await env.stores.responses.history("nope")).toBeNull();
  });

  it("responses: a record that does not parse reads as missing", async () => {
    await env.opened.storage.setItem(keys.response("torn"), '{"response":{"id":"torn","status":"compl');
    await env.opened.storage.setItem(keys.response("foreign"), { something: "else" });
    const logs = captureLogs();
    onTestFinished(logs.restore);
    expect(await env.stores.responses.get("torn")).toBeNull();
    expect(await env.stores.responses.get("foreign")).toBeNull();
    expect(await env.stores.responses.history("torn")).toBeNull();
    expect(logs.lines()).toContain(`[hermes-proxy] ignoring an unreadable record at ${keys.response("torn")}`);
  });

  it("responses: keeps at most maxEntries, the oldest evicted, without listing the store", async () => {
    const listed = vi.spyOn(env.opened.storage, "getKeys");
    for (let index = 1; index <= 5; index++) await env.stores.responses.save(turn(`e${index}`, null, String(index)));
    await expect.poll(async () => Promise.all(["e1", "e2"].map((id) => env.opened.storage.hasItem(keys.response(id))))).toEqual([false, false]);
    expect(await env.stores.responses.get("e5")).not.toBeNull();
    // Their items went from the item index with them; the kept ones are still found.
    await expect.poll(async () => Promise.all(["e1-in", "e2-out"].map((id) => env.stores.items.get(id)))).toEqual([null, null]);
    expect(await env.stores.items.get("e5-out")).toEqual({ response: "e5" });
    expect(listed).not.toHaveBeenCalled();
  });

  it("sessions: expire after their ttl", async () => {
    await env.stores.sessions.recordTurn("s1", { source: "chat", model: "m", messages: { replace: [message("m1", "hi")] } });
    expect(await env.stores.sessions.history("s1")).toHaveLength(1);
    expect(await env.stores.sessions.get("s1", Date.now() + 500)).toBeNull();
  });

  it("conversations: one turn at a time; the loser gets 409 conversation_conflict; a finished turn's items are appended", async () => {
    const conversations = createConversationStore(env.opened.storage, {
      coordination: env.opened.coordination,
      retention: config.retention.conversations,
      items: env.stores.items,
      leaseMs: 300,
    });
    const sessionId = () => "sess_c";
    await expect(conversations.claim("conv_unknown", "resp_a", { create: false, sessionId })).rejects.toMatchObject({
      status: 404,
      code: "conversation_not_found",
      param: "conversation",
    });
    const first = await conversations.claim("chat", "resp_a", { create: true, sessionId });
    expect(first.items).toEqual([]);
    await expect(conversations.claim("chat", "resp_b", { create: true, sessionId })).rejects.toMatchObject({
      status: 409,
      code: "conversation_conflict",
      headers: { "retry-after": "1" },
    });
    expect(await first.finish({ response: "resp_a", items: [message("a-in", "one"), message("a-out", "answer")] })).toBe(true);
    const second = await conversations.claim("chat", "resp_b", { create: true, sessionId });
    expect(second.items.map((item) => item.id)).toEqual(["a-in", "a-out"]);
    expect(await second.finish(null)).toBe(true);
    expect((await conversations.items("chat")).map((entry) => [entry.position, entry.item.id])).toEqual([
      [1, "a-in"],
      [2, "a-out"],
    ]);
    expect(await env.stores.items.get("a-out")).toEqual({ conversation: "chat", position: 2 });

    // A holder that died (its lease no longer renewed) loses the conversation once the lease has run
    // out: another turn takes it. The first one's late items are then taken back; items added
    // meanwhile by others stay.
    const dead = await conversations.claim("chat", "resp_dead", { create: true, sessionId });
    const key = keys.conversation("chat");
    await env.opened.coordination.update<Record<string, unknown>>(key, (current) => ({ ...current, lease: { turn: "resp_dead", until: Date.now() - 1 } }));
    const taken = await conversations.claim("chat", "resp_y", { create: true, sessionId });
    await conversations.add("chat", [message("added", "meanwhile")]);
    expect(await dead.finish({ response: "resp_dead", items: [message("late", "too late")] })).toBe(false);
    expect(await taken.finish({ response: "resp_y", items: [message("y-in", "yes")] })).toBe(true);
    expect((await conversations.items("chat")).map((entry) => entry.item.id)).toEqual(["a-in", "a-out", "added", "y-in"]);
    expect(await env.stores.items.get("late")).toBeNull();

    // undo: a turn whose reply was lost takes back exactly its own items.
    const lost = await conversations.claim("chat", "resp_lost", { create: true, sessionId });
    expect(await lost.finish({ response: "resp_lost", items: [message("lost-in", "x")] })).toBe(true);
    await lost.undo("resp_lost");
    expect((await conversations.items("chat")).map((entry) => entry.item.id)).toEqual(["a-in", "a-out", "added", "y-in"]);

    // Items by id, deleted one by one, and the whole conversation with its index entries.
    expect((await conversations.item("chat", "a-out"))?.item).toEqual(message("a-out", "answer"));
    expect(await conversations.removeItem("chat", "a-out")).toBe(true);
    expect(await conversations.removeItem("chat", "a-out")).toBe(false);
    expect(await env.stores.items.get("a-out")).toBeNull();
    expect(await conversations.remove("chat")).toBe(true);
    expect(await conversations.get("chat")).toBeNull();
    expect(await env.stores.items.get("a-in")).toBeNull();
    expect(await env.opened.storage.getKeys("conversation-items:")).toEqual([]);
  });

  it("conversations: a turn reads only what was appended since this process last read the log; a deletion elsewhere is seen", async () => {
    const sessionId = () => "sess_l";
    const { conversations } = env.stores;
    // Another store on the same storage and coordination stands for another process.
    const other = createConversationStore(env.opened.storage, {
      coordination: env.opened.coordination,
      retention: config.retention.conversations,
      items: env.stores.items,
    });
    const unlisten = await Promise.all([conversations.listen(), other.listen()]);
    onTestFinished(() => Promise.all(unlisten.map((stop) => stop())).then(() => undefined));
    await conversations.create(
      { id: "conv_long", createdAt: 1, metadata: {}, sessionId: "s" },
      Array.from({ length: 450 }, (_, n) => message(`m${n}`, `item ${n}`)),
    );
    expect(await (await conversations.claim("conv_long", "resp_1", { create: false, sessionId })).finish(null)).toBe(true);
    const bulkReads = vi.spyOn(env.opened.storage, "getItems");
    const second = await conversations.claim("conv_long", "resp_2", { create: false, sessionId });
    expect(second.items).toHaveLength(450);
    expect(bulkReads).not.toHaveBeenCalled();
    expect(await second.finish({ response: "resp_2", items: [message("new", "appended")] })).toBe(true);
    const third = await conversations.claim("conv_long", "resp_3", { create: false, sessionId });
    expect(third.items.at(-1)?.id).toBe("new");
    expect(bulkReads).toHaveBeenCalledTimes(0);
    await third.finish(null);
    // Deleted by the other process: this one's cached log is dropped when it hears of it.
    expect(await other.removeItem("conv_long", "m7")).toBe(true);
    await expect.poll(async () => (await conversations.items("conv_long")).some((entry) => entry.item.id === "m7")).toBe(false);
    expect(await conversations.items("conv_long")).toHaveLength(450);
  });

  it("conversations: a log heavier than the cache's byte bound is read again, whole, rather than kept", async () => {
    const sessionId = () => "sess_b";
    const light = createConversationStore(env.opened.storage, {
      coordination: env.opened.coordination,
      retention: config.retention.conversations,
      items: env.stores.items,
      cacheBytes: 2_000,
    });
    await light.create(
      { id: "conv_heavy", createdAt: 1, metadata: {}, sessionId: "s" },
      Array.from({ length: 40 }, (_, n) => message(`h${n}`, `item ${n}`)),
    );
    await light.create({ id: "conv_light", createdAt: 1, metadata: {}, sessionId: "s" }, [message("l0", "one")]);
    expect(await (await light.claim("conv_heavy", "resp_h1", { create: false, sessionId })).finish(null)).toBe(true);
    expect(await (await light.claim("conv_light", "resp_l1", { create: false, sessionId })).finish(null)).toBe(true);
    const bulkReads = vi.spyOn(env.opened.storage, "getItems");
    const heavy = await light.claim("conv_heavy", "resp_h2", { create: false, sessionId });
    expect(heavy.items).toHaveLength(40);
    expect(bulkReads).toHaveBeenCalled();
    await heavy.finish(null);
    bulkReads.mockClear();
    const small = await light.claim("conv_light", "resp_l2", { create: false, sessionId });
    expect(small.items.map((item) => item.id)).toEqual(["l0"]);
    expect(bulkReads).not.toHaveBeenCalled();
    await small.finish(null);
    bulkReads.mockRestore();
  });

  it("conversations: a name an earlier version stored (a pointer to its latest response) continues from that chain", async () => {
    await env.stores.responses.save({ ...turn("old1", null, "one"), sessionId: "sess_old" });
    await env.stores.responses.save({ ...turn("old2", "old1", "two"), sessionId: "sess_old" });
    const logs = captureLogs();
    onTestFinished(logs.restore);
    await env.opened.coordination.update(keys.conversation("legacy"), () => ({ responseId: "old2", expiresAt: Date.now() + 60_000 }));
    expect(await env.stores.conversations.get("legacy")).toBeNull();
    const claim = await env.stores.conversations.claim("legacy", "resp_new", { create: true, sessionId: () => "sess_fresh" });
    expect(claim.items.map((item) => item.id)).toEqual(["old1-in", "old1-out", "old2-in", "old2-out"]);
    expect(claim.conversation).toMatchObject({ id: "legacy", sessionId: "sess_old", metadata: {} });
    expect(await claim.finish({ response: "resp_new", items: [message("new-in", "three")] })).toBe(true);
    expect((await env.stores.conversations.items("legacy")).map((entry) => entry.item.id)).toEqual(["old1-in", "old1-out", "old2-in", "old2-out", "new-in"]);
    // Once: the next turn reads the conversation, not the chain again.
    const next = await env.stores.conversations.claim("legacy", "resp_next", { create: true, sessionId: () => "sess_fresh" });
    expect(next.items).toHaveLength(5);
    await next.finish(null);
    expect(logs.lines().filter((line) => line.includes("unreadable"))).toEqual([]);
  });

  it("the item index: a finished response's items are found by id, and forgotten with it", async () => {
    // The record and its index entries are one batch: one command on Redis, landing whole.
    const batches = vi.spyOn(env.opened.storage, "setItems");
    const singles = vi.spyOn(env.opened.storage, "setItem");
    await env.stores.responses.save(turn("ri1", null, "indexed"));
    expect(batches.mock.calls.map(([items]) => items.map((item) => item.key))).toEqual([
      [keys.response("ri1"), keys.itemLocation("ri1-in"), keys.itemLocation("ri1-out")],
    ]);
    expect(singles).not.toHaveBeenCalled();
    batches.mockRestore();
    singles.mockRestore();
    expect(await env.stores.items.get("ri1-in")).toEqual({ response: "ri1" });
    expect(await env.stores.responses.item("ri1", "ri1-out")).toMatchObject({ id: "ri1-out" });
    // An id a later conversation reused keeps pointing there when the response goes.
    const { conversation } = await env.stores.conversations.create({ id: "conv_idx", createdAt: 1, metadata: {}, sessionId: "s" }, [
      message("ri1-out", "copied"),
    ]);
    expect(conversation.id).toBe("conv_idx");
    expect(await env.stores.responses.remove("ri1")).toBe(true);
    expect(await env.stores.items.get("ri1-in")).toBeNull();
    expect(await env.stores.items.get("ri1-out")).toEqual({ conversation: "conv_idx", position: 1 });
  });

  it("idempotency: computes once, replays, refuses another body, and a second process waits its turn", async () => {
    let computed = 0;
    const compute = async () => ({ status: 200, body: { n: ++computed }, headers: {} });
    expect(await env.stores.idempotency.run("s", "k", "body", compute)).toMatchObject({ body: { n: 1 }, replayed: false });
    expect(await env.stores.idempotency.run("s", "k", "body", compute)).toMatchObject({ body: { n: 1 }, replayed: true });
    await expect(env.stores.idempotency.run("s", "k", "other", compute)).rejects.toMatchObject({ status: 409, code: "idempotency_key_conflict" });
    // Another store on the same storage and coordination stands for another process.
    const other = createIdempotencyStore(env.opened.storage, { coordination: env.opened.coordination, retention: config.retention.idempotency });
    let release: () => void = () => {};
    const slow = env.stores.idempotency.run(
      "s",
      "slow",
      "body",
      () => new Promise((resolve) => (release = () => resolve({ status: 200, body: "done", headers: {} }))),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(other.run("s", "slow", "body", compute)).rejects.toMatchObject({ status: 409, code: "idempotency_key_in_use" });
    release();
    await slow;
    expect(await other.run("s", "slow", "body", compute)).toMatchObject({ body: "done", replayed: true });
  });

  it("runs: records and their logs, removed together", async () => {
    const record: RunRecord = {
      id: "run_1",
      status: "completed",
      createdAt: 1,
      updatedAt: Math.floor(Date.now() / 1000),
      sessionId: "s",
      model: "m",
      lastEvent: "run.completed",
      output: "ok",
      usage: null,
      error: null,
      approval: null,
      eventCount: 3,
      expiresAt: Date.now() + 60_000,
    };
    for (let sequence = 1; sequence <= 2; sequence++) await env.stores.runs.append("run_1", [{ sequence, payload: { event: "e", sequence } }]);
    // A position already taken is refused, whatever the writer believed: nothing is overwritten.
    expect(await env.stores.runs.append("run_1", [{ sequence: 2, payload: { event: "late" } }])).toEqual({ first: 0, length: 2, sealed: false });
    expect(await env.stores.runs.append("run_1", [{ sequence: 3, payload: { event: "run.completed" } }], { seal: true })).toEqual({
      first: 3,
      length: 3,
      sealed: true,
    });
    expect(await env.stores.runs.append("run_1", [{ sequence: 4, payload: { event: "after" } }])).toMatchObject({ first: 0, sealed: true });
    expect(await env.stores.runs.length("run_1")).toEqual({ first: 0, length: 3, sealed: true });
    await env.stores.runs.save(record);
    expect(await env.stores.runs.get("run_1")).toMatchObject({ status: "completed", eventCount: 3 });
    // A late write of a live snapshot never brings a finished run back.
    expect(await env.stores.runs.save({ ...record, status: "running", expiresAt: null })).toMatchObject({ status: "completed" });
    expect(await env.stores.runs.get("run_1")).toMatchObject({ status: "completed" });
    expect((await env.stores.runs.events("run_1", 1, 3)).map((entry) => entry.sequence)).toEqual([2, 3]);
    await env.stores.runs.remove("run_1");
    expect(await env.stores.runs.get("run_1")).toBeNull();
    expect(await env.stores.runs.events("run_1", 0, 3)).toEqual([]);
    expect(await env.stores.runs.length("run_1")).toEqual({ first: 0, length: 0, sealed: false });
    await env.stores.runs.save({ ...record, id: "run_2", expiresAt: Date.now() - 1 });
    expect(await env.stores.runs.get("run_2")).toBeNull();
    // Already past its expiry when written: the index gives it up at once.
    await expect.poll(() => env.opened.storage.hasItem(keys.run("run_2"))).toBe(false);
  });
});
