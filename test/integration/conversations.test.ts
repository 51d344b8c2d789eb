import type { APIError } from "openai";
import type { ConversationItem } from "openai/resources/conversations/items";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { startProxy, type TestProxy } from "../helpers/proxy.ts";
import { parseSse } from "../helpers/sse.ts";
import { describeStorages } from "../helpers/storages.ts";
import { createStorage } from "unstorage";
import { atomicFsDriver } from "../../plugins/storage-fs/driver.ts";
import { openStorage } from "../../src/state/open-storage.ts";
import { storageFromSpec } from "../../src/state/select-storage.ts";

const KEY = "conversations-key-0123456789abcdef";

/** A message item's text, whatever its parts. */
const textOf = (item: ConversationItem) => (item.type === "message" ? item.content.map((part) => ("text" in part ? part.text : "")).join("") : `${item.type}`);

/**
 * The Conversations API through the real `openai` SDK (`client.conversations.*`), on every driver:
 * what the client is answered, what the upstream is sent (a conversation's items are a turn's history),
 * and what storage holds — read back by a second proxy on the same storage (Redis: both live; fs and
 * SQLite: after a restart).
 */
describeStorages("the Conversations API", (target) => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;
  let spec: string;
  const started: TestProxy[] = [];
  const start = async () => {
    const started_ = await startProxy({ storage: spec, server: { apiKey: KEY }, upstream: { baseURL: upstream.url, model: "fake-model", maxRetries: 0 } });
    started.push(started_);
    return started_;
  };
  const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${proxy.url}${path}`, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
  const sent = (index: number) => upstream.requests[index]?.body.messages.map((message: { content: unknown }) => message.content);
  /**
   * What the storage holds, read apart from the proxy: fs through its files (the proxy holds the
   * directory's lock, so this reader takes none), Redis through a connection of its own; memory is the
   * proxy's own, SQLite one process's.
   */
  const inspect = async (read: (storage: import("unstorage").Storage) => Promise<void>) => {
    if (target.name === "fs") return read(createStorage({ driver: atomicFsDriver({ base: spec.slice("fs:".length) }) }));
    if (target.name !== "redis") return;
    const opened = await openStorage(await storageFromSpec(spec));
    try {
      await read(opened.storage);
    } finally {
      await opened.close();
    }
  };
  const errorOf = async (response: Response) => ({
    status: response.status,
    ...((await response.json()) as { error: { code: string; param: string | null } }).error,
  });

  beforeAll(async () => {
    spec = target.spec();
    upstream = await startFakeUpstream();
    proxy = await start();
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    for (const each of started) await each.close().catch(() => undefined);
    await upstream.close();
  });

  it("creates, retrieves, updates, lists, adds, retrieves an item, deletes an item and deletes the conversation", async () => {
    const { client } = proxy;
    const conversation = await client.conversations.create({
      metadata: { topic: "demo" },
      items: [
        { type: "message", role: "user", content: "Hello!" },
        { type: "message", role: "assistant", content: "Hi there." },
      ],
    });
    expect(conversation).toMatchObject({ object: "conversation", metadata: { topic: "demo" } });
    expect(conversation.id).toMatch(/^conv_[0-9a-f]{32}$/);
    expect(conversation.created_at).toBeCloseTo(Date.now() / 1000, -1);
    expect(await client.conversations.retrieve(conversation.id)).toEqual(conversation);
    expect(await client.conversations.update(conversation.id, { metadata: { topic: "changed" } })).toEqual({ ...conversation, metadata: { topic: "changed" } });

    const added = await client.conversations.items.create(conversation.id, {
      items: [
        { type: "message", role: "user", content: [{ type: "input_text", text: "How are you?" }] },
        { type: "function_call", call_id: "call_1", name: "lookup", arguments: "{}" },
        { type: "function_call_output", call_id: "call_1", output: "found" },
      ],
    });
    expect(added).toMatchObject({ object: "list", has_more: false });
    expect(added.data.map((item) => item.type)).toEqual(["message", "function_call", "function_call_output"]);
    expect(added.data.map((item) => item.id)).toEqual([expect.stringMatching(/^msg_/), expect.stringMatching(/^fc_/), expect.stringMatching(/^fco_/)]);

    // Newest first by default; the SDK pages with `after` = last_id until has_more is false.
    const page = await client.conversations.items.list(conversation.id, { limit: 2 });
    expect(page.data.map((item) => item.type)).toEqual(["function_call_output", "function_call"]);
    expect(page.has_more).toBe(true);
    const all: ConversationItem[] = [];
    for await (const item of client.conversations.items.list(conversation.id, { limit: 2, order: "asc" })) all.push(item);
    expect(all.map(textOf)).toEqual(["Hello!", "Hi there.", "How are you?", "function_call", "function_call_output"]);

    const call = all[3]!;
    expect(await client.conversations.items.retrieve(call.id!, { conversation_id: conversation.id })).toEqual(call);
    const afterDelete = await client.conversations.items.delete(call.id!, { conversation_id: conversation.id });
    expect(afterDelete).toMatchObject({ id: conversation.id, object: "conversation" });
    const missing = await client.conversations.items.retrieve(call.id!, { conversation_id: conversation.id }).catch((error: APIError) => error);
    expect(missing).toMatchObject({ status: 404, code: "item_not_found", param: "item_id" });
    expect((await client.conversations.items.list(conversation.id, { order: "asc" })).data.map(textOf)).toEqual([
      "Hello!",
      "Hi there.",
      "How are you?",
      "function_call_output",
    ]);

    expect(await client.conversations.delete(conversation.id)).toEqual({ id: conversation.id, object: "conversation.deleted", deleted: true });
    const gone = await client.conversations.retrieve(conversation.id).catch((error: APIError) => error);
    expect(gone).toMatchObject({ status: 404, code: "conversation_not_found", param: "conversation_id" });
    // Nothing of it is left in storage: not its record, its log or its index entries.
    await inspect(async (storage) => {
      expect(await storage.getKeys("conversation-items:")).toEqual([]);
      expect(await storage.getItem(`conversations:${conversation.id}`)).toBeNull();
      expect(await storage.getItem(`item-index:${all[0]!.id}`)).toBeNull();
    });
  });

  it("answers a Responses turn from a conversation's items and adds the turn's input and output to it", async () => {
    const { client } = proxy;
    const conversation = await client.conversations.create({ items: [{ type: "message", role: "user", content: "My name is Ada." }] });
    upstream.enqueue({ text: "Hello Ada." }, { text: "Your name is Ada." }, { text: "Streamed." });
    const first = await client.responses.create({ model: "m", input: "Greet me.", conversation: conversation.id });
    expect(first.conversation).toEqual({ id: conversation.id });
    expect(sent(0)).toEqual(["My name is Ada.", "Greet me."]);
    const second = await client.responses.create({ model: "m", input: "What is my name?", conversation: { id: conversation.id } });
    expect(second.output_text).toBe("Your name is Ada.");
    expect(sent(1)).toEqual(["My name is Ada.", "Greet me.", "Hello Ada.", "What is my name?"]);
    // Streamed turns are added before their terminal event; GET shows the conversation too.
    const streamed = await call("POST", "/v1/responses", { model: "m", input: "Stream it.", conversation: conversation.id, stream: true });
    const frames = parseSse(await streamed.text());
    expect(frames.at(-1)?.data && JSON.parse(frames.at(-1)!.data)).toMatchObject({
      type: "response.completed",
      response: { conversation: { id: conversation.id } },
    });
    expect((await client.responses.retrieve(second.id)).conversation).toEqual({ id: conversation.id });

    const items = (await client.conversations.items.list(conversation.id, { order: "asc" })).data;
    expect(items.map(textOf)).toEqual(["My name is Ada.", "Greet me.", "Hello Ada.", "What is my name?", "Your name is Ada.", "Stream it.", "Streamed."]);
    // Chaining from a conversation's turn by previous_response_id continues from what that turn saw.
    upstream.enqueue({ text: "Branched." });
    await client.responses.create({ model: "m", input: "Branch here.", previous_response_id: first.id });
    expect(sent(3)).toEqual(["My name is Ada.", "Greet me.", "Hello Ada.", "Branch here."]);
    expect((await client.conversations.items.list(conversation.id)).data).toHaveLength(7);
    // The ids the turns answered are the conversation's item ids.
    expect(items[4]!.id).toBe(second.output[0]!.id);
    // Stored once as the conversation's log, each item indexed at its position.
    await inspect(async (storage) => {
      expect(await storage.getItem(`item-index:${items[4]!.id}`)).toEqual({ conversation: conversation.id, position: 5 });
      expect(await storage.getItem(`conversation-items:${conversation.id}:00000005`)).toMatchObject({ item: { id: items[4]!.id }, response: second.id });
    });
  });

  it("refuses what OpenAI refuses, with a 400 or 404 naming the param", async () => {
    const conversation = await proxy.client.conversations.create();
    expect(await errorOf(await call("POST", "/v1/responses", { input: "x", conversation: conversation.id, previous_response_id: "resp_1" }))).toMatchObject({
      status: 400,
      param: "conversation",
    });
    expect(await errorOf(await call("POST", "/v1/responses", { input: "x", conversation: "conv_unknown" }))).toMatchObject({
      status: 404,
      code: "conversation_not_found",
      param: "conversation",
    });
    const tooMany = Array.from({ length: 21 }, () => ({ role: "user", content: "x" }));
    expect(await errorOf(await call("POST", `/v1/conversations/${conversation.id}/items`, { items: tooMany }))).toMatchObject({ status: 400, param: "items" });
    expect(await errorOf(await call("POST", "/v1/conversations", { metadata: { k: "v".repeat(513) } }))).toMatchObject({ status: 400, param: "metadata.k" });
    expect(await errorOf(await call("POST", `/v1/conversations/${conversation.id}`, {}))).toMatchObject({ status: 400, param: "metadata" });
    expect(await errorOf(await call("GET", `/v1/conversations/${conversation.id}/items?order=up`))).toMatchObject({ status: 400, param: "order" });
    expect(await errorOf(await call("GET", `/v1/conversations/${conversation.id}/items?after=msg_nope`))).toMatchObject({ status: 400, param: "after" });
    expect(
      await errorOf(await call("POST", `/v1/conversations/${conversation.id}/items`, { items: [{ type: "item_reference", id: "msg_nope" }] })),
    ).toMatchObject({
      status: 400,
      code: "item_not_found",
      param: "items[0]",
    });
    expect(await errorOf(await call("GET", "/v1/conversations/conv_nope/items"))).toMatchObject({
      status: 404,
      code: "conversation_not_found",
      param: "conversation_id",
    });
    expect(await errorOf(await call("DELETE", "/v1/conversations/conv_nope"))).toMatchObject({ status: 404, code: "conversation_not_found" });
    expect(await errorOf(await call("DELETE", `/v1/conversations/${conversation.id}/items/msg_nope`))).toMatchObject({ status: 404, code: "item_not_found" });
    expect(upstream.requests).toHaveLength(0);
    // Discovery says so.
    const capabilities = (await (await call("GET", "/v1/capabilities")).json()) as { features: Record<string, unknown>; endpoints: Record<string, unknown> };
    expect(capabilities.features.conversations_api).toBe(true);
    expect(capabilities.endpoints.conversation_item).toEqual({ method: "GET", path: "/v1/conversations/{conversation_id}/items/{item_id}" });
  });

  it("resolves an item_reference to any stored item without previous_response_id, as the AI SDK sends them", async () => {
    const tools = [{ type: "function" as const, name: "get_weather", parameters: { type: "object" }, strict: false }];
    upstream.enqueue({ text: "Hello." }, { toolCalls: [{ id: "call_w", name: "get_weather", arguments: { city: "Oslo" } }] }, { text: "Snow in Oslo." });
    const first = await proxy.client.responses.create({ model: "m", input: "Hi." });
    const userId = (await proxy.client.responses.inputItems.list(first.id)).data[0]!.id!;
    const weather = await proxy.client.responses.create({
      model: "m",
      tools,
      input: [
        { type: "item_reference", id: userId },
        { type: "item_reference", id: first.output[0]!.id! },
        { role: "user", content: "Weather in Oslo?" },
      ],
    });
    expect(sent(1)).toEqual(["Hi.", "Hello.", "Weather in Oslo?"]);
    const callItem = weather.output.find((item) => item.type === "function_call")!;
    await proxy.client.responses.create({
      model: "m",
      tools,
      input: [
        { role: "user", content: "Weather in Oslo?" },
        { type: "item_reference", id: callItem.id! },
        { type: "function_call_output", call_id: "call_w", output: "snow" },
      ],
    });
    expect(upstream.requests[2]?.body.messages.slice(1)).toEqual([
      { role: "assistant", content: null, tool_calls: [{ id: "call_w", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }] },
      { role: "tool", tool_call_id: "call_w", content: "snow" },
    ]);
    // A referenced item is stored again as the new turn's input (and found there from then on); a
    // deleted response's own items are gone. A response's own items have ids that name it
    // (`itemIdsFor`): they are found without an index entry (the function call above was, before its
    // reference stored it again).
    upstream.enqueue({ text: "Short-lived." });
    const lonely = await proxy.client.responses.create({ model: "m", input: "Forget this." });
    expect(lonely.output[0]!.id).toMatch(new RegExp(`^msg_${lonely.id.slice("resp_".length)}_\\d+$`));
    expect(callItem.id).toMatch(new RegExp(`^fc_${weather.id.slice("resp_".length)}_\\d+$`));
    await inspect(async (storage) => {
      expect(await storage.getItem(`item-index:${lonely.output[0]!.id}`)).toBeNull();
      expect(await storage.getItem(`item-index:${userId}`)).toEqual({ response: weather.id });
    });
    await proxy.client.responses.delete(lonely.id);
    const gone = await proxy.client.responses
      .create({ model: "m", input: [{ type: "item_reference", id: lonely.output[0]!.id! }] })
      .catch((error: APIError) => error);
    expect(gone).toMatchObject({ status: 400, code: "item_not_found", param: "input[0]" });
    await inspect(async (storage) => expect(await storage.getItem(`item-index:${lonely.output[0]!.id}`)).toBeNull());
  });

  if (target.durable)
    it(
      target.name === "redis"
        ? "a second proxy on the same Redis sees and adds to the same conversations; racing turns never lose items"
        : "keeps conversations and their items across a restart",
      async () => {
        const { client } = proxy;
        upstream.enqueue({ text: "Noted." });
        const conversation = await client.conversations.create({ metadata: { owner: "a" }, items: [{ role: "user", content: "Remember: blue." }] });
        await client.responses.create({ model: "m", input: "Noted?", conversation: conversation.id });
        if (target.name !== "redis") {
          await proxy.close();
          started.splice(started.indexOf(proxy), 1);
          proxy = await start();
        }
        const other = target.name === "redis" ? await start() : proxy;
        expect(await other.client.conversations.retrieve(conversation.id)).toMatchObject({ id: conversation.id, metadata: { owner: "a" } });
        expect((await other.client.conversations.items.list(conversation.id, { order: "asc" })).data.map(textOf)).toEqual([
          "Remember: blue.",
          "Noted?",
          "Noted.",
        ]);
        upstream.enqueue({ text: "Blue." });
        await other.client.responses.create({ model: "m", input: "Which colour?", conversation: conversation.id });
        expect(sent(1)).toEqual(["Remember: blue.", "Noted?", "Noted.", "Which colour?"]);
        if (target.name !== "redis") return;

        // Items added from both instances at once: every one is kept, none overwritten.
        await Promise.all(
          Array.from({ length: 10 }, (_, n) =>
            (n % 2 ? client : other.client).conversations.items.create(conversation.id, { items: [{ role: "user", content: `parallel ${n}` }] }),
          ),
        );
        const texts = (await other.client.conversations.items.list(conversation.id, { order: "asc", limit: 100 })).data.map(textOf);
        expect(texts.filter((text) => text.startsWith("parallel")).sort()).toEqual(Array.from({ length: 10 }, (_, n) => `parallel ${n}`).sort());
        // Two turns at once on one conversation, one per instance: one runs, the other is told to retry.
        upstream.enqueue({ text: "first", delayMs: 200 }, { text: "second", delayMs: 200 });
        const results = await Promise.all(
          [proxy, other].map((each) =>
            fetch(`${each.url}/v1/responses`, {
              method: "POST",
              headers,
              body: JSON.stringify({ model: "m", input: `turn from ${each.url}`, conversation: conversation.id }),
            }),
          ),
        );
        expect(results.map((response) => response.status).sort()).toEqual([200, 409]);
        expect((await client.conversations.items.list(conversation.id, { limit: 100 })).data).toHaveLength(texts.length + 2);
      },
    );
});
