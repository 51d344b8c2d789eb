import { createStorage } from "unstorage";
import { describe, expect, it } from "vitest";
import { createItemIndex, itemIdsFor, responseNamedBy } from "../../../src/state/item-index.ts";
import { randomId } from "../../../src/utils/index.ts";

/**
 * A response's own items get ids that name it, so that storing it writes no item index entry for them
 * (on fs, one file per item). Any other id is indexed as before, and an index entry wins over the name.
 */
describe("item ids that name their response", () => {
  const response = randomId("resp_");
  const hex = response.slice("resp_".length);

  it("numbers one response's items in order, each naming the response", () => {
    const newId = itemIdsFor(response);
    const ids = [newId("msg_"), newId("fc_"), newId("msg_")];
    expect(ids).toEqual([`msg_${hex}_1`, `fc_${hex}_2`, `msg_${hex}_3`]);
    expect(ids.map(responseNamedBy)).toEqual([response, response, response]);
  });

  it("names no response for random ids, client ids, or a response id of another shape", () => {
    expect(responseNamedBy(randomId("msg_"))).toBeUndefined();
    expect(responseNamedBy("msg_nope")).toBeUndefined();
    expect(responseNamedBy(`msg_${hex}_`)).toBeUndefined();
    expect(responseNamedBy(undefined)).toBeUndefined();
    expect(itemIdsFor("resp_from-elsewhere")("msg_")).toMatch(/^msg_[0-9a-f]{32}$/);
  });

  it("finds an unindexed item by its name, and an indexed one where its entry says", async () => {
    const storage = createStorage();
    const index = createItemIndex(storage);
    const own = itemIdsFor(response)("msg_");
    expect(await index.get(own)).toEqual({ response });
    expect(await index.get(randomId("msg_"))).toBeNull();
    // Stored again elsewhere (a later turn quoting it): the entry wins.
    await index.write([{ type: "message", id: own, role: "user", content: [] }], () => ({ conversation: "conv_1", position: 3 }));
    expect(await index.get(own)).toEqual({ conversation: "conv_1", position: 3 });
  });
});
