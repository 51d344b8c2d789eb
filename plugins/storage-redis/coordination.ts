import type { Redis } from "ioredis";
import { createKeyedQueue, logLengthKey, RecordCache, type StorageCoordination } from "../../sdk/index.ts";
import { describeError, type RedisConnection } from "./connection.ts";

/** Compare-and-set attempts before an update gives up under contention. */
const maxAttempts = 50;

/** Keys whose last value an update remembers to compare against. A miss costs one `GET`. */
const knownMax = 1_000;
/** A value stored as more JSON than this is not remembered: the memory is for small records, not histories or stored replies. */
const knownMaxChars = 16 * 1024;

/** A value as Redis holds it (null: absent) and parsed. */
interface Seen {
  raw: string | null;
  value: unknown;
}

/**
 * The coordination every proxy process on one Redis shares: compare-and-set in a Lua script, eviction
 * indexes and slot pools as sorted sets, messages over Redis pub/sub on a second connection. Keys use
 * the storage's prefix; indexes and pools sit under `<prefix>:_hermes:`, channels are `<prefix>:<name>`.
 * A log append is one script that reads the log's length and writes the entries after it (the entries'
 * keys are built in the script, so a Redis Cluster would need the log under one hash tag).
 * Updates of one key from this process go one at a time: the compare-and-set then only retries when
 * another process wrote in between, instead of every concurrent local update racing every other.
 *
 * An update starts from the value this process last read or wrote for the key (up to `knownMax`
 * keys), or presumes a key it has not seen absent: one script call, whose expected value is that one.
 * When another process (or a delete, or a TTL) changed it meanwhile, or it existed, the script answers
 * with the current value and the update retries on it, still without a `GET`. Only an update that would change nothing is checked with a `GET` first: it
 * resolves with what is stored, not with what this process remembers.
 */
export function createRedisCoordination(connect: () => Promise<RedisConnection>, prefix: string, label: string): StorageCoordination {
  const keyOf = (key: string) => `${prefix}:${key}`;
  const indexOf = (name: string) => `${prefix}:_hermes:index:${name}`;
  const poolOf = (name: string) => `${prefix}:_hermes:pool:${name}`;
  const channelOf = (name: string) => `${prefix}:${name}`;
  const client = async () => (await connect()).client;
  const inOrder = createKeyedQueue();

  const listeners = new Map<string, Set<(message: string) => void>>();
  /** Told when the subscription connection drops: what is published until it is back is lost. */
  const interruptions = new Set<() => void>();
  let subscriberUp = false;
  const subscriptions = new Map<string, Promise<unknown>>();
  let subscriber: Promise<Redis> | undefined;
  let loggedSubscriberError = "";
  /**
   * The subscription connection, connected before its first SUBSCRIBE (commands are not queued while
   * disconnected). ioredis resubscribes its channels by itself after a reconnection; a connection that
   * could not be opened is not kept, so the next subscription tries again.
   */
  const getSubscriber = () => {
    if (subscriber) return subscriber;
    const opening = client().then(async (commands) => {
      const connection = commands.duplicate();
      connection.on("error", (error: Error) => {
        // ioredis reports every failed reconnection: one line per distinct problem is enough.
        const reason = describeError(error);
        if (reason !== loggedSubscriberError) console.error(`[hermes-proxy] redis ${label} (subscriber): ${reason}`);
        loggedSubscriberError = reason;
      });
      connection.on("ready", () => {
        loggedSubscriberError = "";
        subscriberUp = true;
      });
      connection.on("close", () => {
        if (!subscriberUp) return;
        subscriberUp = false;
        for (const interrupted of [...interruptions]) {
          try {
            interrupted();
          } catch (error) {
            console.error(`[hermes-proxy] redis ${label} (subscriber): a listener failed on an interruption: ${describeError(error)}`);
          }
        }
      });
      connection.on("message", (channel: string, message: string) => {
        for (const listener of listeners.get(channel) ?? []) listener(message);
      });
      try {
        await connection.connect();
      } catch (error) {
        connection.disconnect();
        throw error;
      }
      return connection;
    });
    subscriber = opening;
    opening.catch(() => {
      if (subscriber === opening) subscriber = undefined;
    });
    return opening;
  };

  const known = new RecordCache<Seen>(knownMax);
  const absent: Seen = { raw: null, value: null };
  const remember = (key: string, seen: Seen) => {
    if (seen.raw !== null && seen.raw.length > knownMaxChars) known.delete(key);
    else known.set(key, seen);
  };
  const compareAndSet = async <T>(key: string, change: (current: T | null) => T | null | undefined, ttlMs: number | undefined): Promise<T | null> => {
    const redis = await client();
    const full = keyOf(key);
    const read = async (): Promise<Seen> => {
      const raw = await redis.get(full);
      return { raw, value: parse(raw) };
    };
    // A key this process has not seen is presumed absent: most are new (a session's first turn), and
    // when one is not, the script answers with its value, which costs what a `GET` first would have.
    let seen = known.get(key) ?? absent;
    /** `seen` came from Redis during this update, not from memory or the presumption. */
    let fresh = false;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const next = change(seen.value as T | null);
      if (next === undefined) {
        if (!fresh) {
          seen = await read();
          fresh = true;
          continue;
        }
        remember(key, seen);
        return seen.value as T | null;
      }
      const raw = next === null ? null : JSON.stringify(next);
      const [applied, current] = await redis.hermesCompareAndSet(
        full,
        seen.raw === null ? "1" : "0",
        seen.raw ?? "",
        raw === null ? "1" : "0",
        raw ?? "",
        ttlMs === undefined ? 0 : Math.max(1, Math.ceil(ttlMs)),
      );
      if (applied === 1) {
        remember(key, { raw, value: next });
        return next;
      }
      seen = { raw: current ?? null, value: parse(current ?? null) };
      fresh = true;
    }
    throw new Error(`[storage-redis] ${key}: gave up after ${maxAttempts} concurrent updates`);
  };

  return {
    shared: true,
    update<T>(key: string, change: (current: T | null) => T | null | undefined, options: { ttlMs?: number } = {}) {
      return inOrder(key, () =>
        compareAndSet(key, change, options.ttlMs).catch((error: unknown) => {
          // The script may have run before its reply was lost: compare against Redis next time.
          known.delete(key);
          throw error;
        }),
      );
    },
    async track(index, key, expiresAt, maxEntries) {
      return (await client()).hermesTrack(indexOf(index), key, Math.floor(expiresAt), maxEntries);
    },
    async untrack(index, key) {
      await (await client()).zrem(indexOf(index), key);
    },
    async acquire(pool, id, limit, leaseMs) {
      return (await (await client()).hermesAcquire(poolOf(pool), id, limit, Math.ceil(leaseMs))) === 1;
    },
    async renew(pool, ids, leaseMs) {
      if (ids.length > 0) await (await client()).hermesRenew(poolOf(pool), Math.ceil(leaseMs), ...ids);
    },
    async release(pool, id) {
      await (await client()).zrem(poolOf(pool), id);
    },
    async hold(pool, ids, leaseMs) {
      if (ids.length > 0) await (await client()).hermesHold(poolOf(pool), Math.ceil(leaseMs), ...ids);
    },
    async reclaim(pool, leaseMs, limit) {
      return (await client()).hermesReclaim(poolOf(pool), Math.ceil(leaseMs), limit);
    },
    async append(prefix, values, options = {}) {
      const encoded = values.map((value) => (typeof value === "string" ? value : JSON.stringify(value)));
      const ttl = options.ttlMs === undefined ? 0 : Math.max(1, Math.ceil(options.ttlMs));
      const [first, length, sealed] = await (
        await client()
      ).hermesAppend(keyOf(logLengthKey(prefix)), keyOf(prefix), options.expect ?? 0, options.seal ? "1" : "0", ttl, ...encoded);
      return { first, length, sealed: sealed === 1 };
    },
    async publish(channel, message) {
      return (await client()).publish(channelOf(channel), message);
    },
    async subscribe(channel, listener, onInterrupted) {
      const name = channelOf(channel);
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      let subscribed = subscriptions.get(name);
      if (!subscribed) subscriptions.set(name, (subscribed = getSubscriber().then((connection) => connection.subscribe(name))));
      set.add(listener);
      const forget = () => {
        if (onInterrupted) interruptions.delete(onInterrupted);
        set.delete(listener);
        if (set.size > 0 || listeners.get(name) !== set) return false;
        listeners.delete(name);
        subscriptions.delete(name);
        return true;
      };
      try {
        // Resolved only once Redis confirmed the subscription: a message published after this is received.
        await subscribed;
        if (onInterrupted) interruptions.add(onInterrupted);
      } catch (error) {
        // Nothing is left behind: the next subscription to this channel subscribes afresh.
        if (subscriptions.get(name) === subscribed) subscriptions.delete(name);
        set.delete(listener);
        if (set.size === 0 && listeners.get(name) === set) listeners.delete(name);
        throw error;
      }
      return async () => {
        if (forget()) await (await getSubscriber()).unsubscribe(name);
      };
    },
    async dispose() {
      const opened = await subscriber?.catch(() => undefined);
      opened?.disconnect();
    },
  };
}

/** Values are JSON, as unstorage writes them; anything else comes back as the raw string for the caller to reject. */
function parse<T>(raw: string | null): T | null {
  if (raw === null) return null;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return raw as unknown as T;
  }
}
