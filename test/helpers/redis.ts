import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, it } from "vitest";

/** Where the Redis tests run: `REDIS_URL`, required when `CI=true`. */
export const redisUrl = process.env.REDIS_URL?.trim() || undefined;

const skipReason = "REDIS_URL is not set; REDIS_URL=redis://127.0.0.1:6379 npm test runs the Redis tests";

/** A key prefix no other test file or run uses. */
export function uniquePrefix(label = "test"): string {
  return `hermes-${label}-${process.pid}-${randomUUID().slice(0, 8)}`;
}

/** `REDIS_URL` with `?prefix=` set, as `HERMES_STORAGE` takes it. */
export function redisSpec(prefix: string): string {
  const url = new URL(redisUrl ?? "redis://127.0.0.1:6379");
  url.searchParams.set("prefix", prefix);
  return url.toString();
}

/** Deletes every key under `prefix` (the storage's keys and the coordination's). */
export async function deletePrefix(prefix: string): Promise<void> {
  const client = new Redis(redisUrl ?? "redis://127.0.0.1:6379", { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    let cursor = "0";
    do {
      const [next, found] = await client.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
      cursor = next;
      if (found.length > 0) await client.unlink(...found);
    } while (cursor !== "0");
  } finally {
    client.disconnect();
  }
}

/**
 * A describe block that needs Redis. Without `REDIS_URL` it is skipped with the reason in its title —
 * except under `CI=true`, where a missing Redis is a failure, as is an unreachable one anywhere.
 * `body` gets a prefix unique to this block, whose keys are deleted afterwards.
 */
export function describeRedis(name: string, body: (redis: { url: string; prefix: string }) => void): void {
  if (!redisUrl) {
    if (process.env.CI === "true")
      describe(name, () => {
        it("has a Redis to run against", () => {
          throw new Error("REDIS_URL is required when CI=true (the Redis tests must run in CI)");
        });
      });
    else describe.skip(`${name} (skipped: ${skipReason})`, () => body({ url: "redis://127.0.0.1:6379", prefix: "unused" }));
    return;
  }
  const url = redisUrl;
  describe(name, () => {
    const prefix = uniquePrefix();
    beforeAll(async () => {
      const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3_000, retryStrategy: () => null });
      let reason: unknown;
      client.on("error", (error: unknown) => (reason ??= error));
      try {
        await client.connect();
        await client.ping();
      } catch (error) {
        const cause = (reason ?? error) as Error & { code?: string };
        throw new Error(`REDIS_URL=${url} is unreachable: ${cause.message || cause.code || String(cause)}`, { cause: error });
      } finally {
        client.disconnect();
      }
    });
    afterAll(() => deletePrefix(prefix));
    body({ url, prefix });
  });
}
