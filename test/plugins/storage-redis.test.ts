import { createStorage } from "unstorage";
import { describe, expect, it } from "vitest";
import { testStorage } from "../../sdk/testing.ts";
import redisStorage from "../../plugins/storage-redis/index.ts";
import { describeRedis } from "../helpers/redis.ts";

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

describe("storage-redis options", () => {
  it("refuses a URL that is not redis:// or rediss://", () => {
    expect(() => redisStorage({ url: "http://cache" })).toThrow("storage-redis: url must start with redis:// or rediss://");
  });
});
