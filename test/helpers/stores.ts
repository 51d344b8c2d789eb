import { afterEach, beforeEach } from "vitest";
import type { HermesConfig } from "../../src/config/schema.ts";
import { type OpenStorage, openStorage } from "../../src/state/open-storage.ts";
import { storageFromSpec } from "../../src/state/select-storage.ts";
import { createStores, type Stores } from "../../src/state/stores.ts";
import type { StorageTarget } from "./storages.ts";

export interface StoresUnderTest {
  /** The storage and coordination the stores are built on. */
  readonly opened: OpenStorage;
  readonly stores: Stores;
}

/**
 * For a `describeStorages` body: a fresh storage of `target` before each test, with every store built
 * on it, closed after the test. Read the fields inside tests (they change with each test).
 */
export function useStores(target: StorageTarget, config: HermesConfig): StoresUnderTest {
  let current: StoresUnderTest | undefined;
  beforeEach(async () => {
    const opened = await openStorage(await storageFromSpec(target.spec()));
    current = { opened, stores: createStores(opened.storage, opened.coordination, config) };
  });
  afterEach(() => current?.opened.close());
  const under = () => {
    if (!current) throw new Error("useStores: read its fields inside a test");
    return current;
  };
  return {
    get opened() {
      return under().opened;
    },
    get stores() {
      return under().stores;
    },
  };
}
