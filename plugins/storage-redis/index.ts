import { defineStorage, type HermesStorage, lazyDriver } from "../../sdk/index.ts";
import { connectRedis, maskRedisUrl, type RedisConnection } from "./connection.ts";
import { createRedisCoordination } from "./coordination.ts";

export interface RedisStorageOptions {
  /**
   * `redis://[user:password@]host:port/db` or `rediss://…` for TLS. A `?prefix=name` parameter sets
   * `prefix` (handy in `HERMES_STORAGE`).
   */
  url: string;
  /** Every key is `<prefix>:<key>`: several deployments can share one Redis database. @default "hermes" */
  prefix?: string;
  /** Time to connect before the start fails. @default 5_000 */
  connectTimeoutMs?: number;
}

/**
 * `storage-redis`: every record a Redis string (with a native TTL), through unstorage's Redis driver
 * (ioredis), plus the coordination that lets several proxy processes on one Redis behave as one:
 * compare-and-set on conversation names and idempotency keys, a shared run limit, eviction indexes as
 * sorted sets, and run events and commands fanned out over pub/sub.
 *
 * @example
 * import redisStorage from "hermes-proxy/plugins/storage-redis";
 * export default defineConfig({ plugins: [redisStorage({ url: process.env.REDIS_URL!, prefix: "hermes-prod" })] });
 * // or: HERMES_STORAGE=redis://127.0.0.1:6379/0
 */
export default function redisStorage(options: RedisStorageOptions): HermesStorage {
  if (typeof options?.url !== "string" || !/^rediss?:\/\//.test(options.url)) throw new TypeError("storage-redis: url must start with redis:// or rediss://");
  const parsed = new URL(options.url);
  const prefix = options.prefix ?? parsed.searchParams.get("prefix") ?? "hermes";
  parsed.searchParams.delete("prefix");
  const url = parsed.toString();
  const label = maskRedisUrl(url);

  let connection: Promise<RedisConnection> | undefined;
  const connect = () => {
    connection ??= connectRedis({ url, prefix, label, connectTimeoutMs: options.connectTimeoutMs ?? 5_000 });
    // A failed first connection is not cached: the next use tries again.
    connection.catch(() => (connection = undefined));
    return connection;
  };
  const driver = lazyDriver("redis", async () => (await connect()).driver, { flags: { ttl: true } });
  return defineStorage({
    name: "redis",
    driver,
    description: `${label} (prefix ${prefix})`,
    coordination: createRedisCoordination(connect, prefix, label),
  });
}
