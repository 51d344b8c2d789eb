import { describe, expect, it } from "vitest";
import { encodeChatRequest } from "../../../src/upstream/chat/encode-request.ts";
import { encodeResponsesRequest } from "../../../src/upstream/responses/encode-request.ts";
import { decodeChatRequest } from "../../../src/wire/chat/decode.ts";
import { chatFieldRule, chatRequestFields } from "../../../src/wire/chat/fields.ts";

const messages = [{ role: "user", content: "hi" }];

/** The bodies each upstream API gets for a Chat Completions request. */
function bodies(request: Record<string, unknown>) {
  const decoded = decodeChatRequest({ messages, ...request });
  const run = { ...decoded.input, model: "m" };
  return { chat: encodeChatRequest(run) as unknown as Record<string, unknown>, responses: encodeResponsesRequest(run) as unknown as Record<string, unknown> };
}

describe("the Chat Completions request field table", () => {
  it("sends the fields both APIs have to either, under each API's name", () => {
    const { chat, responses } = bodies({ prompt_cache_key: "pck", service_tier: "flex", safety_identifier: "s", verbosity: "low" });
    expect(chat).toMatchObject({ prompt_cache_key: "pck", service_tier: "flex", safety_identifier: "s", verbosity: "low" });
    expect(responses).toMatchObject({ prompt_cache_key: "pck", service_tier: "flex", safety_identifier: "s", text: { verbosity: "low" } });
  });

  it("sends the API's fields it does not read to a Chat upstream only, and neither its own nor a frontend's", () => {
    expect(chatFieldRule("logprobs")).toEqual({ responses: "drop", chat: "forward", client: "omit" });
    expect(chatFieldRule("chat_id")).toEqual({ responses: "drop", chat: "drop", client: "omit" });
    const { chat, responses } = bodies({
      logprobs: true,
      top_logprobs: 2,
      web_search_options: {},
      chat_id: "c1",
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(chat).toMatchObject({ logprobs: true, top_logprobs: 2, web_search_options: {}, stream: true, stream_options: { include_usage: true } });
    expect(chat.chat_id).toBeUndefined();
    expect(responses.logprobs).toBeUndefined();
    expect(responses.web_search_options).toBeUndefined();
    expect(chatRequestFields.stream).toEqual({ responses: "drop", chat: "drop", client: "omit" });
  });

  it("keeps the fields it reads its own way", () => {
    const { chat, responses } = bodies({ max_tokens: 20, reasoning_effort: "low" });
    expect(chat).toMatchObject({ max_completion_tokens: 20, reasoning_effort: "low" });
    expect(chat.max_tokens).toBeUndefined();
    expect(responses).toMatchObject({ max_output_tokens: 20, reasoning: { effort: "low" } });
  });
});
