import type { Driver, DriverFlags } from "unstorage";

/**
 * An unstorage driver that loads the real one on first use, so a storage plugin imports its database
 * library (ioredis, better-sqlite3, …) only when the proxy actually stores something in it, and a
 * missing library is an error at startup's storage check rather than at `import` time.
 *
 * @example
 * import { defineStorage, lazyDriver } from "hermes-proxy/sdk";
 *
 * export default function redisStorage(options: { url: string }) {
 *   const driver = lazyDriver("redis", async () => (await import("unstorage/drivers/redis")).default({ url: options.url }), { flags: { ttl: true } });
 *   return defineStorage({ name: "redis", driver });
 * }
 */
export function lazyDriver(name: string, load: () => Promise<Driver>, options: { flags?: DriverFlags } = {}): Driver & { load(): Promise<Driver> } {
  let loading: Promise<Driver> | undefined;
  let loaded: Driver | undefined;
  const get = (): Promise<Driver> => (loading ??= load().then((driver) => (loaded = driver)));

  return {
    name,
    flags: options.flags ?? {},
    load: get,
    getInstance: () => loaded?.getInstance?.(),
    async hasItem(key, opts) {
      return (await get()).hasItem(key, opts);
    },
    async getItem(key, opts) {
      return (await get()).getItem(key, opts);
    },
    async getItems(items, commonOptions) {
      const driver = await get();
      if (driver.getItems) return driver.getItems(items, commonOptions);
      return Promise.all(items.map(async ({ key, options }) => ({ key, value: await driver.getItem(key, { ...commonOptions, ...options }) })));
    },
    async setItem(key, value, opts) {
      const driver = await get();
      if (!driver.setItem) throw new Error(`[${name}] the driver is read-only`);
      await driver.setItem(key, value, opts);
    },
    async setItems(items, commonOptions) {
      const driver = await get();
      if (driver.setItems) return driver.setItems(items, commonOptions);
      if (!driver.setItem) throw new Error(`[${name}] the driver is read-only`);
      // Every write settles before the batch does: none is left running when the caller retries or gives up.
      const settled = await Promise.allSettled(items.map(({ key, value, options }) => driver.setItem!(key, value, { ...commonOptions, ...options })));
      const failed = settled.find((outcome) => outcome.status === "rejected");
      if (failed) throw failed.reason;
    },
    async removeItem(key, opts) {
      await (await get()).removeItem?.(key, opts);
    },
    async getMeta(key, opts) {
      return (await (await get()).getMeta?.(key, opts)) ?? null;
    },
    async getKeys(base, opts) {
      return (await get()).getKeys(base, opts);
    },
    async clear(base, opts) {
      const driver = await get();
      if (driver.clear) return driver.clear(base, opts);
      for (const key of await driver.getKeys(base, opts)) await driver.removeItem?.(key, opts);
    },
    async dispose() {
      // Never loaded: there is nothing to close, and loading now would only open a connection to close it.
      if (!loading) return;
      const driver = await loading.catch(() => undefined);
      await driver?.dispose?.();
    },
  };
}
