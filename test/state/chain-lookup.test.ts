import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { hermesConfigSchema } from "../../src/config/schema.ts";
import { createItemIndex } from "../../src/state/item-index.ts";
import type { Item } from "../../src/protocol/index.ts";
import { type OpenStorage, openStorage } from "../../src/state/open-storage.ts";
import { createResponseStore, type ResponseStore } from "../../src/state/responses.ts";
import { storageFromSpec } from "../../src/state/select-storage.ts";
import { describeStorages } from "../helpers/storages.ts";

const turns = 200;
const config = hermesConfigSchema.parse({ storage: "memory" });
const text = (turn: number, role: string) => `${role} ${turn}: ${"a fairly ordinary sentence of a long conversation. ".repeat(6)}`;

/** Median time of `samples` runs of `task`, in milliseconds. */
async function median(task: () => Promise<unknown>, samples = 15): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    await task();
    times.push(performance.now() - start);
  }
  return times.sort((x, y) => x - y)[Math.floor(samples / 2)]!;
}

/**
 * Chain lookup (what `previous_response_id` costs before the upstream call) at turn 1 and turn 200,
 * on every driver: hot (this process answered the earlier turns) and cold (a fresh process on the same
 * storage). The hot path reads one record whatever the turn; the cold path reads the chain once. The
 * read counts are asserted; the times are printed (they depend on the machine's load too much to
 * assert: the hot lookup grows only with the items it concatenates in memory).
 */
describeStorages("chain lookup", (target) => {
  let opened: OpenStorage;
  let responses: ResponseStore;
  const ids: string[] = [];

  beforeAll(async () => {
    opened = await openStorage(await storageFromSpec(target.spec()));
    responses = createResponseStore(opened.storage, {
      coordination: opened.coordination,
      retention: config.retention.responses,
      items: createItemIndex(opened.storage),
    });
    for (let turn = 1; turn <= turns; turn++) {
      const id = `resp_turn${turn}`;
      const item = (role: "user" | "assistant"): Item =>
        ({ type: "message", id: `${id}_${role}`, role, content: [{ type: role === "user" ? "input_text" : "output_text", text: text(turn, role) }] }) as Item;
      await responses.save({
        response: { id, createdAt: turn, status: "completed", model: "m", output: [item("assistant")], settings: {} },
        input: [item("user")],
        parentId: ids.at(-1) ?? null,
        sessionId: "sess",
      });
      ids.push(id);
    }
  }, 60_000);
  afterAll(() => opened.close());

  it(`reads one record at turn ${turns} as at turn 1, and reports the times`, async () => {
    const reads = vi.spyOn(opened.storage, "getItem");
    const hotFirst = await median(() => responses.history(ids[0]!));
    const hotLast = await median(() => responses.history(ids[turns - 1]!));
    reads.mockClear();
    const chain = await responses.history(ids[turns - 1]!);
    expect(chain?.items).toHaveLength(2 * turns);
    expect(reads).toHaveBeenCalledTimes(1);

    const cold = createResponseStore(opened.storage, {
      coordination: opened.coordination,
      retention: config.retention.responses,
      items: createItemIndex(opened.storage),
    });
    reads.mockClear();
    const start = performance.now();
    await cold.history(ids[turns - 1]!);
    const coldLast = performance.now() - start;
    expect(reads).toHaveBeenCalledTimes(turns);
    reads.mockClear();
    await cold.history(ids[turns - 1]!);
    expect(reads).toHaveBeenCalledTimes(1);

    // A cache bounded by bytes (20 KiB: a few dozen of these records): the walk keeps the first ancestors
    // it read while they fit and reads the rest again on the next walk, rather than dropping, read by
    // read, the ones it needs further on (LRU under a scan longer than the cache: every read again).
    const small = createResponseStore(opened.storage, {
      coordination: opened.coordination,
      retention: config.retention.responses,
      items: createItemIndex(opened.storage),
      cacheBytes: 20 * 1024,
    });
    await small.history(ids[turns - 1]!);
    reads.mockClear();
    const again = await small.history(ids[turns - 1]!);
    expect(again?.items).toHaveLength(2 * turns);
    expect(reads.mock.calls.length).toBeGreaterThan(turns / 2);
    expect(reads.mock.calls.length).toBeLessThan(turns);

    const ms = (value: number) => `${value.toFixed(3)} ms`;
    console.log(
      `chain lookup on ${target.name}: turn 1 ${ms(hotFirst)}, turn ${turns} ${ms(hotLast)} (hot, 1 read); turn ${turns} cold ${ms(coldLast)} (${turns} reads, once)`,
    );
  });
});
