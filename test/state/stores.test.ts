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
    expect(listed).not.toHaveBeenCalled();
  });

  it("sessions: expire after their ttl", async () => {
    await env.stores.sessions.recordTurn("s1", { source: "chat", model: "m", messages: { replace: [message("m1", "hi")] } });
    expect(await env.stores.sessions.history("s1")).toHaveLength(1);
    expect(await env.stores.sessions.get("s1", Date.now() + 500)).toBeNull();
  });

  it("conversations: one turn at a time holds a name; the loser gets 409 conversation_conflict", async () => {
    const conversations = createConversationStore(env.opened.storage, { coordination: env.opened.coordination, retention: config.retention.conversations, leaseMs: 300 });
    const first = await conversations.claim("chat", "resp_a");
    expect(first.previous).toBeNull();
    await expect(conversations.claim("chat", "resp_b")).rejects.toMatchObject({ status: 409, code: "conversation_conflict", headers: { "retry-after": "1" } });
    expect(await first.finish("resp_a")).toBe(true);
    expect(await conversations.latest("chat")).toBe("resp_a");
    const second = await conversations.claim("chat", "resp_b");
    expect(second.previous).toBe("resp_a");
    expect(await second.finish(null)).toBe(true);
    expect(await conversations.latest("chat")).toBe("resp_a");
    // A holder that died (its lease no longer renewed) loses the name once the lease has run out.
    const expiresAt = Date.now() + 60_000;
    await env.opened.coordination.update(keys.conversation("other"), () => ({ responseId: "resp_old", lease: { turn: "resp_dead", until: Date.now() - 1 }, expiresAt }));
    const taken = await conversations.claim("other", "resp_y");
    expect(taken.previous).toBe("resp_old");
    expect(await taken.finish("resp_y")).toBe(true);
    await conversations.unlink("chat", "resp_a");
    expect(await conversations.latest("chat")).toBeNull();
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
    const slow = env.stores.idempotency.run("s", "slow", "body", () => new Promise((resolve) => (release = () => resolve({ status: 200, body: "done", headers: {} }))));
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
    for (let sequence = 1; sequence <= 3; sequence++) await env.stores.runs.append("run_1", { sequence, payload: { event: "e", sequence } });
    await env.stores.runs.save(record);
    expect(await env.stores.runs.get("run_1")).toMatchObject({ status: "completed", eventCount: 3 });
    expect((await env.stores.runs.events("run_1", 1, 3)).map((entry) => entry.sequence)).toEqual([2, 3]);
    await env.stores.runs.remove("run_1");
    expect(await env.stores.runs.get("run_1")).toBeNull();
    expect(await env.stores.runs.events("run_1", 0, 3)).toEqual([]);
    await env.stores.runs.save({ ...record, id: "run_2", expiresAt: Date.now() - 1 });
    expect(await env.stores.runs.get("run_2")).toBeNull();
    // Already past its expiry when written: the index gives it up at once.
    await expect.poll(() => env.opened.storage.hasItem(keys.run("run_2"))).toBe(false);
  });
});
