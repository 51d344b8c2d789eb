import { describe, expect, it } from "vitest";
import type { Item } from "../../../src/protocol/index.ts";
import { decodeAddItems, decodeCreateConversation, decodeUpdateConversation, itemPage } from "../../../src/wire/conversations/index.ts";

let counter = 0;
const newId = (prefix: string) => `${prefix}${++counter}`;
const message = (id: string): Item => ({ type: "message", id, role: "user", content: [{ type: "input_text", text: id }] });

describe("the Conversations codec", () => {
  it("decodes items as the Responses API's input items, ids kept or made, references left to resolve", () => {
    counter = 0;
    const decoded = decodeCreateConversation(
      {
        metadata: { a: "b" },
        items: [
          { role: "user", content: "hi" },
          { type: "item_reference", id: "msg_old" },
          { type: "function_call_output", id: "mine", call_id: "c", output: "x" },
        ],
      },
      newId,
    );
    expect(decoded).toEqual({
      metadata: { a: "b" },
      items: [
        { type: "message", id: "msg_1", role: "user", content: [{ type: "input_text", text: "hi" }] },
        { type: "item_reference", id: "msg_old" },
        { type: "function_call_output", id: "mine", call_id: "c", output: "x" },
      ],
    });
    expect(decodeCreateConversation(undefined, newId)).toEqual({ metadata: {}, items: [] });
    expect(decodeUpdateConversation({ metadata: null })).toEqual({});
  });

  it("refuses with a 400 naming the param", () => {
    expect(() => decodeAddItems({ items: [] }, newId)).toThrow(expect.objectContaining({ status: 400, param: "items" }));
    expect(() => decodeAddItems({ items: [{ role: "robot", content: "x" }] }, newId)).toThrow(expect.objectContaining({ status: 400, param: "items[0]" }));
    expect(() => decodeCreateConversation({ metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])) }, newId)).toThrow(
      expect.objectContaining({ status: 400, param: "metadata" }),
    );
    expect(() => decodeUpdateConversation({})).toThrow(expect.objectContaining({ status: 400, param: "metadata" }));
  });

  it("pages newest first by default, after an item id, with has_more", () => {
    const items = ["a", "b", "c", "d"].map(message);
    expect(itemPage(items, { order: "desc", limit: 2 })).toMatchObject({ object: "list", first_id: "d", last_id: "c", has_more: true });
    expect(itemPage(items, { order: "desc", limit: 2, after: "c" })).toMatchObject({ first_id: "b", last_id: "a", has_more: false });
    expect(itemPage(items, { order: "asc", limit: 10, after: "b" }).data.map((item) => item.id)).toEqual(["c", "d"]);
    expect(itemPage([], { order: "asc", limit: 10 })).toEqual({ object: "list", data: [], first_id: null, last_id: null, has_more: false });
    expect(() => itemPage(items, { order: "asc", limit: 10, after: "zzz" })).toThrow(expect.objectContaining({ status: 400, param: "after" }));
  });
});
