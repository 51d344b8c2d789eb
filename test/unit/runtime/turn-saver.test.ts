import { describe, expect, it } from "vitest";
import { emptyUsage } from "../../../src/protocol/index.ts";
import { createTurnSaver } from "../../../src/runtime/turns/turn-saver.ts";
import type { Turn } from "../../../src/runtime/turns/resolve-turn.ts";
import type { ConversationClaim } from "../../../src/state/conversations.ts";
import type { ResponseStore, StoredResponse } from "../../../src/state/responses.ts";
import { storageUnavailable } from "../../../src/state/storage-guard.ts";
import { defaultSettings, encodeResponse, type ResponseMeta } from "../../../src/wire/responses/index.ts";

/**
 * The saver never reports a turn done that the storage did not take, and afterwards leaves storage
 * agreeing with what the client was told: the record settled as `failed`, a conversation's items
 * that may have been added taken back first.
 */

const meta: ResponseMeta = { id: "resp_1", createdAt: 1, model: "m", settings: { ...defaultSettings } };
const completed = encodeResponse(
  {
    runId: "resp_1",
    model: "m",
    createdAt: 1,
    output: [],
    status: "completed",
    finishReason: "stop",
    incompleteReason: undefined,
    usage: emptyUsage(),
    error: null,
  },
  meta,
);

function harness(options: { saveFails?: number; finish?: (responseId: string | null) => Promise<boolean> } = {}) {
  const saved: StoredResponse[] = [];
  const calls: string[] = [];
  let saveFails = options.saveFails ?? 0;
  const responses = {
    async save(record: StoredResponse) {
      calls.push(`save ${record.response.status}`);
      if (saveFails-- > 0) throw storageUnavailable(new Error("down"));
      saved.push(record);
    },
  } as unknown as ResponseStore;
  const claim: ConversationClaim = {
    conversation: { id: "talk", createdAt: 1, metadata: {}, sessionId: "sess_1", expiresAt: Date.now() + 60_000 },
    items: [],
    length: 0,
    finish: async (added) => {
      const responseId = added?.response ?? null;
      calls.push(`finish ${responseId}`);
      return options.finish ? options.finish(responseId) : true;
    },
    undo: async (responseId) => void calls.push(`undo ${responseId}`),
  };
  const turn: Turn = { items: [], prior: [], newItems: [], parentId: null, sessionId: "sess_1", claim };
  const later: (() => Promise<void>)[] = [];
  const saver = createTurnSaver(responses, turn, { store: true, conversation: "talk", settleLater: (_label, task) => void later.push(task) });
  return { saver, saved, calls, later };
}

describe("the turn saver", () => {
  it("rejects with 503 when the final response cannot be stored, lets the conversation go, and settles the record as failed later", async () => {
    const { saver, saved, calls, later } = harness({ saveFails: 1 });
    await expect(saver.final(completed)).rejects.toMatchObject({ status: 503, code: "storage_unavailable" });
    expect(calls).toEqual(["save completed", "finish null"]);
    expect(later).toHaveLength(1);
    await later[0]!();
    expect(saved.map((record) => record.response)).toEqual([
      expect.objectContaining({ id: "resp_1", status: "failed", error: { code: "storage_unavailable", message: expect.any(String) } }),
    ]);
    // Once: a second call answers the same, and `abandon` afterwards does not throw.
    await expect(saver.final(completed)).rejects.toMatchObject({ code: "storage_unavailable" });
    await expect(saver.abandon()).resolves.toBeUndefined();
  });

  it("takes a conversation's items back before settling, when adding them failed but may have landed", async () => {
    const { saver, saved, calls, later } = harness({ finish: async (id) => (id === null ? true : Promise.reject(new Error("Command timed out"))) });
    await expect(saver.final(completed)).rejects.toMatchObject({ status: 503, code: "storage_unavailable" });
    expect(calls).toEqual(["save completed", "finish resp_1"]);
    await later[0]!();
    expect(calls.slice(2)).toEqual(["undo resp_1", "finish null", "save failed"]);
    expect(saved.map((record) => record.response.status)).toEqual(["completed", "failed"]);
  });

  it("rejects with 409 conversation_conflict when the turn lost its lease before its items were added", async () => {
    const { saver, later } = harness({ finish: async () => false });
    await expect(saver.final(completed)).rejects.toMatchObject({ status: 409, code: "conversation_conflict", headers: { "retry-after": "1" } });
    expect(later).toHaveLength(1);
  });

  it("stores and adds the items to the conversation, in that order, when the storage takes both", async () => {
    const { saver, calls, later } = harness();
    await saver.final(completed);
    expect(calls).toEqual(["save completed", "finish resp_1"]);
    expect(later).toEqual([]);
  });
});
