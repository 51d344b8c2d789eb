import type { Redis } from "ioredis";
import { type Driver, normalizeKey } from "unstorage";
import { withOptionalPackage } from "../../sdk/index.ts";
import * as scripts from "./scripts.ts";

/** The client with the coordination's Lua scripts defined on it (`defineCommand`: EVALSHA, cached by Redis). */
export type ScriptedRedis = Redis & {
  hermesCompareAndSet(key: string, ...args: (string | number)[]): Promise<[1] | [0] | [0, string]>;
  hermesTrack(key: string, ...args: (string | number)[]): Promise<string[]>;
  hermesAcquire(key: string, ...args: (string | number)[]): Promise<number>;
  hermesRenew(key: string, ...args: (string | number)[]): Promise<number>;
  hermesHold(key: string, ...args: (string | number)[]): Promise<number>;
  hermesReclaim(key: string, ...args: (string | number)[]): Promise<string[]>;
  hermesAppend(key: string, ...args: (string | number)[]): Promise<[number, number, number]>;
  /** The number of keys, the keys, then each key's value and ttl in seconds. */
  hermesSetMany(keyCount: number, ...args: (string | number)[]): Promise<number>;
};

export interface RedisConnection {
  driver: Driver;
  client: ScriptedRedis;
}

export interface ConnectionOptions {
  url: string;
  prefix: string;
  /** The URL with its credentials masked, for messages. */
  label: string;
  connectTimeoutMs: number;
  /** A command with no reply after this long fails. @default 1_000 */
  commandTimeoutMs?: number;
  /** Longest wait between reconnection attempts. @default 1_000 */
  reconnectMaxMs?: number;
}

/**
 * How the connections behave when Redis goes away (ioredis options):
 *
 * - `enableOfflineQueue: false`: while disconnected a command fails at once ("Stream isn't writeable")
 *   instead of waiting in a queue for a reconnection that may take minutes. The proxy's storage guard
 *   retries it briefly, then answers 503 `storage_unavailable`.
 * - `maxRetriesPerRequest: 0`: a command already sent when the connection drops fails at once too,
 *   and is never sent again on the next connection (it may have run; a late write must not land after
 *   the client was told it failed).
 * - `commandTimeout`: a Redis that accepts connections but does not answer (paused, overloaded, a
 *   network that drops packets) fails a command after `commandTimeoutMs` instead of hanging a request.
 * - `retryStrategy`: reconnect after 100 ms, 200 ms, … at most every `reconnectMaxMs`, forever: an
 *   instance recovers on its own within that long of Redis returning.
 */
export const connectionDefaults = { commandTimeoutMs: 1_000, reconnectMaxMs: 1_000 } as const;

/**
 * Opens unstorage's Redis driver and takes its ioredis client for the coordination too, so the proxy
 * holds one command connection (plus one for subscriptions). The first connection is awaited: an
 * unreachable Redis fails the start with its reason. After that ioredis reconnects on its own, and
 * commands fail fast while it is away (see `connectionDefaults`).
 */
export async function connectRedis(options: ConnectionOptions): Promise<RedisConnection> {
  // ioredis is an optional peer: installed by whoever stores in Redis, loaded only then.
  const { default: redisDriver } = await withOptionalPackage("ioredis", "storage-redis", () => import("unstorage/drivers/redis"));
  const commandTimeoutMs = options.commandTimeoutMs ?? connectionDefaults.commandTimeoutMs;
  const reconnectMaxMs = options.reconnectMaxMs ?? connectionDefaults.reconnectMaxMs;
  // Normalised once and given to the driver as its base, so `setItems` below builds the keys the
  // driver's own `getItem` reads: `<prefix>:<key>`.
  const prefix = normalizeKey(options.prefix);
  const base = redisDriver({
    url: options.url,
    base: prefix,
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs,
    commandTimeout: commandTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, reconnectMaxMs),
    enableAutoPipelining: true,
  });
  const client = base.getInstance!() as ScriptedRedis;
  const keyOf = (key: string) => (prefix ? `${prefix}:${key}` : key);
  const driver: Driver = {
    ...base,
    // unstorage's Redis driver has no `setItems`, so a batch was one SET per item.
    async setItems(items, commonOptions) {
      if (items.length === 0) return;
      const values = items.flatMap(({ value, options: own }) => [value, ttlSeconds(own?.ttl ?? commonOptions?.ttl)]);
      await client.hermesSetMany(items.length, ...items.map(({ key }) => keyOf(key)), ...values);
    },
  };
  let connected = false;
  let lastError: unknown;
  let logged = "";
  client.on("error", (error: Error) => {
    lastError = error;
    // Before the first connection the start fails with this reason; after it, ioredis reports every
    // failed reconnect, and one line per distinct problem is enough.
    const reason = describeError(error);
    // By hand in the proxy's format: plugins import only the SDK, and a storage has no context.logger.
    if (connected && reason !== logged) console.error(`[hermes-proxy] redis ${options.label}: ${reason}`);
    logged = reason;
  });
  client.on("ready", () => (logged = ""));
  client.defineCommand("hermesCompareAndSet", { numberOfKeys: 1, lua: scripts.compareAndSet });
  client.defineCommand("hermesTrack", { numberOfKeys: 1, lua: scripts.track });
  client.defineCommand("hermesAcquire", { numberOfKeys: 1, lua: scripts.acquire });
  client.defineCommand("hermesRenew", { numberOfKeys: 1, lua: scripts.renew });
  client.defineCommand("hermesHold", { numberOfKeys: 1, lua: scripts.hold });
  client.defineCommand("hermesReclaim", { numberOfKeys: 1, lua: scripts.reclaim });
  client.defineCommand("hermesAppend", { numberOfKeys: 1, lua: scripts.append });
  client.defineCommand("hermesSetMany", { lua: scripts.setMany });
  try {
    await client.connect();
    connected = true;
  } catch (error) {
    client.disconnect();
    throw new Error(describeError(lastError ?? error), { cause: error });
  }
  return { driver, client };
}

/** unstorage's `ttl` (seconds) as the script takes it: 0 for none. */
const ttlSeconds = (ttl: unknown) => (typeof ttl === "number" && ttl > 0 ? Math.ceil(ttl) : 0);

/** Node reports a refused dual-stack connect as an AggregateError with an empty message. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message) return error.message;
  const inner = (error as { errors?: unknown[] }).errors?.[0];
  if (inner instanceof Error && inner.message) return inner.message;
  return (error as { code?: string }).code ?? error.name;
}

/** `redis://user:secret@host:6379/0` → `redis://***@host:6379/0`. */
export function maskRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === "" && parsed.password === "") return url;
    return `${parsed.protocol}//***@${parsed.host}${parsed.pathname === "/" ? "" : parsed.pathname}`;
  } catch {
    return url.replace(/\/\/[^/@]*@/, "//***@");
  }
}
