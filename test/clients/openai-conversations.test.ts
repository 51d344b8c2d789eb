import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { requestsFor, useClientProxy } from "../helpers/client-proxy.ts";

/**
 * The `openai` Node SDK's Conversations API (`client.conversations.*`) and responses made with
 * `conversation`: the conversation keeps the items, a response appends its input and output to it and
 * says which conversation it belongs to, and the next response in it sees the history.
 */
describe.each(["responses", "chat"] as const)("the openai SDK's Conversations API, over a %s upstream", (api) => {
  const setup = useClientProxy(api);
  const client = () => new OpenAI({ baseURL: setup.baseURL, apiKey: setup.apiKey, maxRetries: 0 });

  it("creates, reads, updates and deletes a conversation and its items", async () => {
    const conversation = await client().conversations.create({
      metadata: { topic: "colours" },
      items: [{ type: "message", role: "user", content: "My favourite colour is teal." }],
    });
    expect(conversation).toMatchObject({
      id: expect.stringMatching(/^conv_/),
      object: "conversation",
      metadata: { topic: "colours" },
      created_at: expect.any(Number),
    });

    expect(await client().conversations.retrieve(conversation.id)).toMatchObject({ id: conversation.id, metadata: { topic: "colours" } });
    expect(await client().conversations.update(conversation.id, { metadata: { topic: "paint" } })).toMatchObject({
      id: conversation.id,
      metadata: { topic: "paint" },
    });

    const added = await client().conversations.items.create(conversation.id, { items: [{ type: "message", role: "user", content: "And I like squares." }] });
    expect(added.data).toHaveLength(1);
    const listed = await client().conversations.items.list(conversation.id, { order: "asc" });
    expect(listed.data.map((item) => item.type === "message" && item.content.map((part) => ("text" in part ? part.text : "")).join(""))).toEqual([
      "My favourite colour is teal.",
      "And I like squares.",
    ]);
    const second = listed.data[1]!;
    expect(await client().conversations.items.retrieve(second.id!, { conversation_id: conversation.id })).toMatchObject({ id: second.id, type: "message" });
    await client().conversations.items.delete(second.id!, { conversation_id: conversation.id });
    expect((await client().conversations.items.list(conversation.id)).data).toHaveLength(1);
    expect(await setup.storedKeys("conversations:")).not.toEqual([]);

    expect(await client().conversations.delete(conversation.id)).toMatchObject({ id: conversation.id, deleted: true });
    const gone = await client()
      .conversations.retrieve(conversation.id)
      .catch((error: unknown) => error);
    expect(gone).toBeInstanceOf(OpenAI.NotFoundError);
    // Nothing reached the model.
    expect(setup.upstream.requests).toEqual([]);
  });

  it("appends responses made with `conversation` to it, and the next one sees the history", async () => {
    const marker = `conversation over ${api}`;
    const conversation = await client().conversations.create({
      items: [{ type: "message", role: "user", content: `My favourite colour is teal (${marker}).` }],
    });
    setup.upstream.enqueue({ text: "Noted: teal." }, { text: "Teal." });

    const first = await client().responses.create({ model: "hermes-agent", conversation: conversation.id, input: "Remember that." });
    expect(first.conversation).toEqual({ id: conversation.id });
    expect(first.output_text).toBe("Noted: teal.");
    const second = await client().responses.create({ model: "hermes-agent", conversation: { id: conversation.id }, input: "What is my favourite colour?" });
    expect(second.conversation).toEqual({ id: conversation.id });
    expect(second.output_text).toBe("Teal.");

    // The model saw the conversation's items, then the first turn, then the question.
    const requests = requestsFor(setup.upstream, marker);
    expect(requests).toHaveLength(2);
    const sent = JSON.stringify(requests[1]!.body);
    for (const text of [marker, "Remember that.", "Noted: teal.", "What is my favourite colour?"]) expect(sent).toContain(text);
    expect(sent.indexOf("Noted: teal.")).toBeLessThan(sent.indexOf("What is my favourite colour?"));

    const items = await client().conversations.items.list(conversation.id, { order: "asc" });
    const texts = items.data.map((item) => (item.type === "message" ? item.content.map((part) => ("text" in part ? part.text : "")).join("") : item.type));
    expect(texts).toEqual([`My favourite colour is teal (${marker}).`, "Remember that.", "Noted: teal.", "What is my favourite colour?", "Teal."]);
    expect((await client().responses.retrieve(second.id)).conversation).toEqual({ id: conversation.id });
  });
});
