import { APIError } from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { startProxy, type TestProxy } from "../helpers/proxy.ts";

/** `POST /v1/responses/input_tokens` and `/v1/responses/compact`: the upstream's to answer, when it speaks the Responses API. */
describe("token counting and compaction over a Responses upstream", () => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;

  beforeAll(async () => {
    upstream = await startFakeUpstream({ apiKey: "sk-up-0123456789" });
    proxy = await startProxy({ upstream: { baseURL: upstream.url, apiKey: "sk-up-0123456789", model: "fake-model", api: "responses", maxRetries: 0 } });
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  it("forwards input_tokens with the upstream's model and hands back its count", async () => {
    const counted = await proxy.client.responses.inputTokens.count({ model: "hermes-agent", input: "Tell me a joke.", instructions: "Be brief." });
    expect(counted).toEqual({ object: "response.input_tokens", input_tokens: expect.any(Number) });
    expect(upstream.requests).toHaveLength(1);
    const sent = upstream.requests[0]!;
    expect(sent.path).toBe("/v1/responses/input_tokens");
    expect(sent.headers.authorization).toBe("Bearer sk-up-0123456789");
    expect(sent.body).toEqual({ model: "fake-model", input: "Tell me a joke.", instructions: "Be brief." });
  });

  it("forwards compact with the request's items and fields as sent", async () => {
    const input = [
      { role: "user" as const, content: "Create a landing page." },
      {
        id: "msg_001",
        type: "message" as const,
        status: "completed" as const,
        role: "assistant" as const,
        content: [{ type: "output_text" as const, text: "Here it is.", annotations: [] }],
      },
    ];
    const compacted = await proxy.client.responses.compact({ model: "hermes-agent", input, prompt_cache_key: "k1" });
    expect(compacted).toMatchObject({
      object: "response.compaction",
      id: "resp_compacted_fake",
      output: [{ type: "message", role: "user" }, { type: "compaction" }],
    });
    const sent = upstream.requests[0]!;
    expect(sent.path).toBe("/v1/responses/compact");
    expect(sent.body).toEqual({ model: "fake-model", input, prompt_cache_key: "k1" });
  });

  it("sends a stored chain's items in place of this proxy's previous_response_id, which the upstream never saw", async () => {
    upstream.enqueue({ text: "Paris." });
    const first = await proxy.client.responses.create({ model: "hermes-agent", input: "Capital of France?", instructions: "One word." });
    expect((await proxy.client.responses.retrieve(first.id)).status).toBe("completed");
    upstream.reset();

    await proxy.client.responses.inputTokens.count({ model: "hermes-agent", previous_response_id: first.id, input: "And of Spain?" });
    const sent = upstream.requests[0]!;
    expect(sent.path).toBe("/v1/responses/input_tokens");
    expect(sent.body.previous_response_id).toBeUndefined();
    expect(sent.body.instructions).toBe("One word.");
    expect(sent.body.input).toEqual([
      expect.objectContaining({ role: "user", content: [{ type: "input_text", text: "Capital of France?" }] }),
      expect.objectContaining({ role: "assistant" }),
      { role: "user", content: "And of Spain?" },
    ]);
    expect(JSON.stringify(sent.body.input[1])).toContain("Paris.");
  });

  it("answers 404 for an unknown previous_response_id without calling the upstream", async () => {
    const error = await proxy.client.responses.inputTokens
      .count({ model: "hermes-agent", previous_response_id: "resp_missing", input: "x" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(404);
    expect((error as APIError).code).toBe("previous_response_not_found");
    expect(upstream.requests).toHaveLength(0);
  });

  it("passes an upstream refusal on with its status and message", async () => {
    upstream.enqueue({
      status: 400,
      body: { error: { message: "input is too long", type: "invalid_request_error", code: "context_length_exceeded", param: "input" } },
    });
    const error = await proxy.client.responses.compact({ model: "hermes-agent", input: "x" }).catch((e: unknown) => e);
    expect((error as APIError).status).toBe(400);
    expect((error as APIError).message).toContain("input is too long");
    expect(upstream.requests).toHaveLength(1);
  });

  it("no longer lets the :id route answer them with 405, and answers unknown sub-paths with 404", async () => {
    const get = await fetch(`${proxy.url}/v1/responses/input_tokens`);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    for (const path of ["/v1/responses/resp_1/nothing", "/v1/responses/compact/more", "/v1/responses/resp_1/input_items/x"]) {
      const response = await fetch(`${proxy.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      expect(response.status, path).toBe(404);
      expect(((await response.json()) as { error: { message: string } }).error.message).toBeTruthy();
    }
    expect(upstream.requests).toHaveLength(0);
  });
});

describe("token counting and compaction over a Chat upstream", () => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    proxy = await startProxy({ upstream: { baseURL: upstream.url, model: "fake-model", api: "chat" } });
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  it.each([
    ["input_tokens", () => proxy.client.responses.inputTokens.count({ model: "hermes-agent", input: "hi" })],
    ["compact", () => proxy.client.responses.compact({ model: "hermes-agent", input: "hi" })],
  ])("answers %s with 400 saying a Responses API upstream is needed, and calls nothing", async (name, call) => {
    const error = await call().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(400);
    expect((error as APIError).code).toBe("unsupported_by_upstream");
    expect((error as APIError).message).toContain(`POST /v1/responses/${name}`);
    expect((error as APIError).message).toContain("Chat Completions");
    expect(upstream.requests).toHaveLength(0);
  });
});
