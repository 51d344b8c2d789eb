import { Redis } from "ioredis";
import { createStorage, type StorageValue } from "unstorage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testStorage } from "../../sdk/testing.ts";
import redisStorage from "../../plugins/storage-redis/index.ts";
import { describeRedis } from "../helpers/redis.ts";
import { describeOwnRedis, type OwnRedis, startOwnRedis } from "../helpers/redis-server.ts";

describeRedis("storage-redis", ({ url, prefix }) => {
  let count = 0;
  testStorage({ coordinated: true, create: () => redisStorage({ url, prefix: `${prefix}:${count++}` }) });

  it("takes the prefix from ?prefix= and never shows credentials", () => {
    const storage = redisStorage({ url: "redis://user:hunter2@cache.example:6380/2?prefix=blue" });
    expect(storage.description).toBe("redis://***@cache.example:6380/2 (prefix blue)");
  });

  it("fails the first use with the reason when Redis cannot be reached", async () => {
    const storage = createStorage({ driver: redisStorage({ url: "redis://127.0.0.1:1/0", connectTimeoutMs: 1_000 }).driver });
    await expect(storage.getItem("a")).rejects.toThrow(/^connect ECONNREFUSED 127\.0\.0\.1:1$/);
  });
});

/** Scripts and SETs (a script's own included) this Redis has run: a Redis of the test's own, so nothing else adds to them. */
async function commandCounts(client: Redis): Promise<{ scripts: number; sets: number }> {
  const stats = await client.info("commandstats");
  const calls = (command: string) => Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
  return { scripts: calls("evalsha") + calls("eval"), sets: calls("set") };
}

describeOwnRedis("storage-redis batches", () => {
  let own: OwnRedis;
  beforeAll(async () => (own = await startOwnRedis()));
  afterAll(() => own.close());

  it("writes a batch in one command, each key with its own ttl or the common one", async () => {
    const ownPrefix = "hermes/batch:";
    const storage = createStorage({ driver: redisStorage({ url: own.url, prefix: ownPrefix }).driver });
    const raw = new Redis(own.url);
    try {
      await storage.setItem("warm", 1);
      const before = await commandCounts(raw);
      await storage.setItems<StorageValue>(
        [
          { key: "index:a", value: { response: "r" } },
          { key: "index:b", value: "b", options: { ttl: 600 } },
          { key: "index:c", value: "c" },
        ],
        { ttl: 60 },
      );
      // Redis counts the SETs a script makes too: one script, three SETs inside it, none sent alone.
      expect(await commandCounts(raw)).toEqual({ scripts: before.scripts + 1, sets: before.sets + 3 });
      // The driver's own key mapping: `/` in the prefix as `:`, no `:` at its end.
      expect(await raw.get("hermes:batch:index:a")).toBe('{"response":"r"}');
      expect(await storage.getItem("index:b")).toBe("b");
      const ttls = await Promise.all(["a", "b", "c"].map((key) => raw.ttl(`hermes:batch:index:${key}`)));
      expect(ttls[0]).toBeGreaterThan(50);
      expect(ttls[0]).toBeLessThanOrEqual(60);
      expect(ttls[1]).toBeGreaterThan(590);
      expect(ttls[2]).toBeLessThanOrEqual(60);
      await storage.setItems([{ key: "index:forever", value: "f" }]);
      expect(await raw.ttl("hermes:batch:index:forever")).toBe(-1);
    } finally {
      raw.disconnect();
      await storage.dispose();
    }
  });
});

describe("storage-redis options", () => {
  it("refuses a URL that is not redis:// or rediss://", () => {
    expect(() => redisStorage({ url: "http://cache" })).toThrow("storage-redis: url must start with redis:// or rediss://");
  });
});
