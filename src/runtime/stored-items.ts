import { HermesError, type Item } from "../protocol/index.ts";
import type { ItemReference } from "../wire/responses/index.ts";
import type { RuntimeContext } from "./context.ts";

/**
 * An item this proxy stored, by id, wherever it lives (a stored response's input or output, a
 * conversation): one read of the item index and one of the record it points at (a finished response
 * usually from the cache). Null when unknown or gone since.
 */
export async function findStoredItem(context: Pick<RuntimeContext, "items" | "responses" | "conversations">, itemId: string): Promise<Item | null> {
  const location = await context.items.get(itemId);
  if (!location) return null;
  const item =
    "response" in location ? await context.responses.item(location.response, itemId) : await context.conversations.at(location.conversation, location.position);
  return item?.id === itemId ? item : null;
}

/**
 * Input items with their `item_reference`s replaced by the items they name: found in `history` (the
 * turn's own chain or conversation) first, else anywhere in storage, in parallel.
 * @throws {HermesError} 400 `item_not_found` naming the first reference that resolves to nothing.
 */
export async function resolveReferences(
  context: Pick<RuntimeContext, "items" | "responses" | "conversations">,
  input: readonly (Item | ItemReference)[],
  history: readonly Item[],
  param = "input",
): Promise<Item[]> {
  return Promise.all(
    input.map(async (item, index) => {
      if (item.type !== "item_reference") return item;
      const found = history.findLast((candidate) => candidate.id === item.id) ?? (await findStoredItem(context, item.id));
      if (!found) throw new HermesError(`Item not found: ${item.id}`, { status: 400, code: "item_not_found", param: `${param}[${index}]` });
      return found;
    }),
  );
}
