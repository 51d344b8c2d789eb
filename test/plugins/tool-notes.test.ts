import { createStorage } from "unstorage";
import memoryDriver from "unstorage/drivers/memory";
import { describe, expect, it } from "vitest";
import notes from "../../plugins/tool-notes/index.ts";
import { callTool, testTool } from "../../sdk/testing.ts";

const plugin = notes({ maxNotes: 3, maxLength: 50 });
const [save, list, remove] = plugin.tools as [(typeof plugin.tools)[0], (typeof plugin.tools)[0], (typeof plugin.tools)[0]];

testTool(save, { valid: [{ text: "remember the milk" }], invalid: [{}, { text: "" }, { text: "x".repeat(51) }] });
testTool(list, { valid: [{}] });
testTool(remove, {
  valid: [{ id: 1 }],
  invalid: [{ id: 0 }, { id: "1" }],
  // Deleting needs a note to delete: each call gets a storage holding note 1.
  context: async () => {
    const storage = createStorage({ driver: memoryDriver() });
    await callTool(save, { text: "to delete" }, { storage, sessionId: "session_test" });
    return { storage };
  },
  check: ({ output }) => expect(JSON.parse(output)).toEqual({ deleted: 1 }),
});

describe("tool-notes", () => {
  it("keeps notes per session, in order, with ids", async () => {
    const storage = createStorage({ driver: memoryDriver() });
    const a = { storage, sessionId: "session-a" };
    const b = { storage, sessionId: "session-b" };
    expect(JSON.parse((await callTool(save, { text: "first" }, a)).output)).toMatchObject({ id: 1, text: "first" });
    await callTool(save, { text: "second" }, a);
    await callTool(save, { text: "other session" }, b);
    const listed = JSON.parse((await callTool(list, {}, a)).output);
    expect(listed.notes.map((note: { id: number; text: string }) => [note.id, note.text])).toEqual([
      [1, "first"],
      [2, "second"],
    ]);
    expect(JSON.parse((await callTool(remove, { id: 1 }, a)).output)).toEqual({ deleted: 1 });
    expect(JSON.parse((await callTool(list, {}, a)).output).notes.map((note: { text: string }) => note.text)).toEqual(["second"]);
    expect(JSON.parse((await callTool(list, {}, b)).output).notes).toHaveLength(1);
    expect(await callTool(remove, { id: 9 }, a)).toEqual({ isError: true, output: "Error from delete_note: There is no note 9" });
  });

  it("serialises parallel saves of one session, and stops at maxNotes", async () => {
    const storage = createStorage({ driver: memoryDriver() });
    const context = { storage, sessionId: "busy" };
    const results = await Promise.all(["a", "b", "c", "d"].map((text) => callTool(save, { text }, context)));
    expect(results.filter((result) => !result.isError)).toHaveLength(3);
    expect(results.find((result) => result.isError)?.output).toBe("Error from save_note: This session already holds 3 notes; delete some first");
    const ids = JSON.parse((await callTool(list, {}, context)).output).notes.map((note: { id: number }) => note.id);
    expect(ids).toEqual([1, 2, 3]);
  });

  it("keeps a session id with separators inside one key", async () => {
    const storage = createStorage({ driver: memoryDriver() });
    await callTool(save, { text: "x" }, { storage, sessionId: "a:b/../c" });
    expect(await storage.getKeys()).toEqual(["sessions:a%3Ab%2F%2E%2E%2Fc"]);
  });

  it("needs a session", async () => {
    expect((await callTool(list, {}, { sessionId: undefined })).output).toBe("Error from list_notes: Notes are kept per session, and this request has none");
  });
});
