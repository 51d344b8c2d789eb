import type { Storage } from "unstorage";
import type { Item } from "../protocol/index.ts";
import type { CompactResponse } from "../wire/responses/index.ts";
import { keys } from "./keys.ts";

/**
 * A stored response holds only what its own turn added — its new input items and the response (whose
 * `output` is the turn's output), compacted — plus its parent's id. History is rebuilt by walking the
 * parents, so storage grows linearly with a conversation, never quadratically.
 */
export interface StoredResponse {
  response: CompactResponse;
  /** This turn's new input, protocol items with ids (what `input_items` lists). */
  input: Item[];
  /** The response this one continues (by `previous_response_id` or a `conversation`), if any. */
  parentId: string | null;
  sessionId: string;
  /** The conversation name this turn advanced, so deleting it can unlink the name. */
  conversation?: string;
}

/** Longest chain walked; deeper ancestors are ignored rather than looping on corrupt data. */
const MAX_CHAIN = 10_000;

export function createResponseStore(storage: Storage) {
  const get = async (id: string) => (await storage.getItem<StoredResponse>(keys.response(id))) ?? null;

  return {
    get,
    async save(record: StoredResponse): Promise<void> {
      await storage.setItem(keys.response(record.response.id), record);
    },
    async remove(id: string): Promise<boolean> {
      if (!(await storage.hasItem(keys.response(id)))) return false;
      await storage.removeItem(keys.response(id));
      return true;
    },
    /**
     * Everything the chain ending at `id` said, oldest first: each turn's input then its output. The
     * record itself comes back too (its instructions and session carry forward). Null when `id` is unknown.
     */
    async history(id: string): Promise<{ items: Item[]; record: StoredResponse } | null> {
      const record = await get(id);
      if (!record) return null;
      const turns: StoredResponse[] = [record];
      for (let parent = record.parentId; parent && turns.length < MAX_CHAIN; ) {
        const ancestor = await get(parent);
        if (!ancestor) break;
        turns.push(ancestor);
        parent = ancestor.parentId;
      }
      const items: Item[] = [];
      for (let i = turns.length - 1; i >= 0; i--) {
        const turn = turns[i]!;
        items.push(...turn.input, ...turn.response.output);
      }
      return { items, record };
    },
  };
}

export type ResponseStore = ReturnType<typeof createResponseStore>;

/** Named conversations: each name points at its latest stored response. */
export function createConversationStore(storage: Storage) {
  return {
    async latest(name: string): Promise<string | null> {
      return (await storage.getItem<{ responseId: string }>(keys.conversation(name)))?.responseId ?? null;
    },
    async advance(name: string, responseId: string): Promise<void> {
      await storage.setItem(keys.conversation(name), { responseId });
    },
    /** Unlinks the name if it still points at `responseId` (a deleted response ends its conversation). */
    async unlink(name: string, responseId: string): Promise<void> {
      if ((await this.latest(name)) === responseId) await storage.removeItem(keys.conversation(name));
    },
  };
}

export type ConversationStore = ReturnType<typeof createConversationStore>;
