import type { Storage } from "unstorage";
import type { Item } from "../protocol/index.ts";
import { type NewId, randomId } from "../utils/index.ts";
import { keys } from "./keys.ts";
import { isObject, storageTtl } from "./records.ts";

/** Where a stored item lives: in a stored response (its input or output), or at a position of a conversation. */
export type ItemLocation = { response: string } | { conversation: string; position: number };

/**
 * Item id → where the item is stored, one small record per item (`item-index:<id>`), so that an
 * `item_reference` or a conversation item is found in one read whatever history it belongs to. An
 * entry is a pointer, never the item: whoever follows it reads the item where it lives and treats a
 * pointer to something gone as not found. An id written twice (a client reusing an id) points at the
 * last place that stored it. The stores write entries alongside the records they point at, before the
 * write is acknowledged, and remove them with those records. An id that names its response
 * (`itemIdsFor`) needs no entry: where the index has none, `get` finds the response from the id.
 */
export function createItemIndex(storage: Storage) {
  return {
    async get(itemId: string): Promise<ItemLocation | null> {
      const value = await storage.getItem(keys.itemLocation(itemId));
      if (isLocation(value)) return value;
      const response = responseNamedBy(itemId);
      return response === undefined ? null : { response };
    },
    /** Points every item's id at `location(item, index)`; `ttlMs` matches the record's, for drivers with native expiry. */
    async write(items: readonly Item[], location: (item: Item, index: number) => ItemLocation, ttlMs?: number): Promise<void> {
      const entries = indexEntries(items, location);
      // One batch: a driver with `setItems` (and the storage guard around it) takes one call, not one per item.
      if (entries.length > 0) await storage.setItems(entries, storageTtl(ttlMs));
    },
    /** Removes the entries of `itemIds` that still point where `at` says (a newer place that reused an id keeps its entry). */
    async forget(itemIds: readonly string[], at: (location: ItemLocation) => boolean): Promise<void> {
      if (itemIds.length === 0) return;
      const found = await storage.getItems(itemIds.map((id) => keys.itemLocation(id)));
      await Promise.all(found.flatMap(({ key, value }) => (isLocation(value) && at(value) ? [storage.removeItem(key)] : [])));
    },
  };
}

export type ItemIndex = ReturnType<typeof createItemIndex>;

/** The index entries of `items` as a `setItems` batch, for a store that writes them beside its own record. */
export function indexEntries(items: readonly Item[], location: (item: Item, index: number) => ItemLocation): { key: string; value: ItemLocation }[] {
  return items.flatMap((item, index) => (item.id ? [{ key: keys.itemLocation(item.id), value: location(item, index) }] : []));
}

function isLocation(value: unknown): value is ItemLocation {
  return isObject(value) && (typeof value.response === "string" || (typeof value.conversation === "string" && typeof value.position === "number"));
}

/**
 * The ids of response `responseId`'s own items, each naming it: `msg_<its hex>_1`, `fc_<its hex>_2`…
 * A stored response then writes no index entry for them (on fs, one file per item: a stored turn of
 * the bench wrote six files, four of them index entries; docs/performance.md). Random ids for a
 * response id of another shape.
 */
export function itemIdsFor(responseId: string): NewId {
  const hex = responseHex.exec(responseId)?.[1];
  if (hex === undefined) return randomId;
  let count = 0;
  return (prefix) => `${prefix}${hex}_${++count}`;
}

/** The response an id of `itemIdsFor` names; undefined for any other id. */
export function responseNamedBy(itemId: string | undefined): string | undefined {
  const hex = itemId === undefined ? undefined : namingId.exec(itemId)?.[1];
  return hex === undefined ? undefined : `resp_${hex}`;
}

const responseHex = /^resp_([0-9a-f]{32})$/;
const namingId = /^[a-z]+_([0-9a-f]{32})_\d+$/;
