import { afterAll, beforeAll, describe, expect, it } from "vitest";
import memoryStorage from "../../plugins/storage-memory/index.ts";
import { jobsClient } from "../helpers/jobs-api.ts";
import { startProxy, type TestProxy } from "../helpers/proxy.ts";

const KEY = "sk-memory-bound-test-key-0123456789";
const maxBytes = 400_000;

/**
 * Issue 18: the memory storage is bounded by bytes, not only by count. Each stored response here is
 * about 13 KB (a 6 KB prompt, echoed back), so 120 of them are four times the bound: the oldest
 * responses go, the newest stay, and a scheduled job (never given up) survives.
 */
describe("the memory storage's byte bound, through the real server", () => {
  let proxy: TestProxy;
  const storage = memoryStorage({ maxBytes });
  const held = storage.driver.getInstance!() as { bytes(): number };

  beforeAll(async () => {
    // The embedded echo upstream answers with the prompt: no upstream to start.
    proxy = await startProxy({ server: { apiKey: KEY }, plugins: [storage] });
  });
  afterAll(() => proxy.close());

  it("gives up the oldest stored responses, keeps the newest and every job, and answers every request", async () => {
    const api = jobsClient(proxy.url, KEY);
    const job = await api.create({ name: "kept", schedule: "every 1h", prompt: "p" });

    const ids: string[] = [];
    let peak = 0;
    for (let turn = 0; turn < 120; turn++) {
      const prompt = `turn ${turn} ${"x".repeat(6_000)}`;
      const response = await proxy.client.responses.create({ model: "hermes-agent", input: prompt });
      expect(response.status).toBe("completed");
      ids.push(response.id);
      peak = Math.max(peak, held.bytes());
    }
    // Eviction runs after each write, off the request's path: let the last ones land.
    await new Promise((resolve) => setTimeout(resolve, 100));

    // Over the bound by at most the few records written before their evictions landed.
    expect(peak).toBeLessThan(maxBytes * 1.5);
    expect(held.bytes()).toBeLessThanOrEqual(maxBytes);

    const newest = await proxy.client.responses.retrieve(ids.at(-1)!);
    expect(newest.output_text).toContain("turn 119");
    const oldest = await fetch(`${proxy.url}/v1/responses/${ids[0]}`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(oldest.status).toBe(404);

    const jobAfter = await api.request("GET", `/api/jobs/${job.id}`);
    expect(jobAfter.status).toBe(200);
    expect(jobAfter.body.job.name).toBe("kept");
  });
});

describe("memoryStorage options", () => {
  it("refuses a bound that is not a positive integer", () => {
    expect(() => memoryStorage({ maxBytes: 0 })).toThrow(/maxBytes must be a positive integer/);
    expect(() => memoryStorage({ maxBytes: 1.5 })).toThrow(/maxBytes must be a positive integer/);
  });

  it("counts what it holds: keys and values, rewrites and removals", async () => {
    const { driver } = memoryStorage({ maxBytes: 10 });
    const held = driver.getInstance!() as { bytes(): number; overBudget(): boolean };
    await driver.setItem!("ab", "1234", {});
    expect(held.bytes()).toBe(6);
    expect(held.overBudget()).toBe(false);
    await driver.setItem!("ab", "123456789", {});
    expect(held.bytes()).toBe(11);
    expect(held.overBudget()).toBe(true);
    await driver.setItemRaw!("raw", new Uint8Array(4), {});
    expect(held.bytes()).toBe(18);
    await driver.removeItem!("ab", {});
    expect(held.bytes()).toBe(7);
    await driver.clear!("", {});
    expect(held.bytes()).toBe(0);
  });
});
