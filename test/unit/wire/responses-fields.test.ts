import { describe, expect, it } from "vitest";
import { decodeResponsesRequest } from "../../../src/wire/responses/index.ts";
import { responsesFieldRule as fieldRule, responsesRequestFields, routeResponsesFields as routeFields, unlisted } from "../../../src/wire/responses/fields.ts";
import { encodeChatRequest } from "../../../src/upstream/chat/encode-request.ts";
import { encodeResponsesRequest } from "../../../src/upstream/responses/encode-request.ts";

let counter = 0;
const newId = (prefix: string) => `${prefix}${++counter}`;

/** A value the request schema accepts for each field the table lists (the read ones are checked by the decoder's own tests). */
const samples: Record<string, unknown> = {
  "text.verbosity": "low",
  "text.*": "future",
  "reasoning.summary": "auto",
  "reasoning.*": "future",
  truncation: "auto",
  include: ["reasoning.encrypted_content"],
  client_metadata: { thread_id: "t1" },
  stream_options: { include_obfuscation: false },
  prompt_cache_key: "pck",
  prompt_cache_retention: "24h",
  safety_identifier: "user-hash",
  service_tier: "flex",
  top_logprobs: 3,
  max_tool_calls: 4,
  prompt: { id: "pmpt_1" },
  prompt_cache_options: { mode: "auto" },
  moderation: { mode: "strict" },
};

/** The body carrying one field: `text.verbosity` as `{ text: { verbosity } }`. */
function bodyWith(path: string, value: unknown): Record<string, unknown> {
  const [parent, inner] = path.split(".") as [string, string | undefined];
  const key = inner === "*" ? "future_field" : inner;
  return key === undefined ? { input: "x", [parent]: value } : { input: "x", [parent]: { [key]: value } };
}

describe("the Responses request field table", () => {
  const forwarded = Object.entries(responsesRequestFields).filter(
    ([, rule]) => (rule.responses !== "read" && rule.responses !== "drop") || (rule.chat !== "read" && rule.chat !== "drop"),
  );

  it.each(forwarded)("routes %s as its row says, through to each upstream's body and the Response object", (path, rule) => {
    const value = samples[path];
    expect(value, `a sample for ${path}`).toBeDefined();
    const decoded = decodeResponsesRequest(bodyWith(path, value), newId);
    const [parent, inner] = path.split(".");
    const name = inner === "*" ? "future_field" : inner;
    const run = { ...decoded.run, model: "m", items: [] };
    const toResponses = encodeResponsesRequest(run) as unknown as Record<string, unknown>;
    const toChat = encodeChatRequest(run) as unknown as Record<string, unknown>;
    const responsesValue = name === undefined ? toResponses[parent!] : (toResponses[parent!] as Record<string, unknown> | undefined)?.[name];
    if (rule.responses === "forward") expect(responsesValue).toEqual(value);
    else expect(responsesValue).toBeUndefined();
    if (typeof rule.chat === "object") expect(toChat[rule.chat.as]).toEqual(value);
    else expect(JSON.stringify(toChat)).not.toContain(JSON.stringify(value));
    if (rule.client === "echo") expect(decoded.settings.echoed[path]).toEqual(value);
    else expect(decoded.settings.echoed).toEqual({});
  });

  it("forwards a field it does not know to a Responses upstream only, and does not echo it", () => {
    expect(fieldRule("context_management")).toBe(unlisted);
    const routed = routeFields({ input: "x", context_management: [{ type: "compaction" }], reasoning: { effort: "low", generate_summary: "auto" } });
    expect(routed).toEqual({ responses: { context_management: [{ type: "compaction" }], reasoning: { generate_summary: "auto" } }, chat: {}, echo: {} });
  });

  it("keeps its own settings on a clash and merges an object the client shares with it", () => {
    const decoded = decodeResponsesRequest(
      { input: "x", reasoning: { effort: "high", summary: "detailed" }, text: { verbosity: "high", format: { type: "json_object" } } },
      newId,
    );
    const body = encodeResponsesRequest({ ...decoded.run, model: "m", items: [] }) as unknown as Record<string, unknown>;
    expect(body.reasoning).toEqual({ summary: "detailed", effort: "high" });
    expect(body.text).toEqual({ verbosity: "high", format: { type: "json_object" } });
    expect(body.store).toBe(false);
    expect(decoded.settings.text).toEqual({ format: { type: "json_object" }, verbosity: "high" });
    expect(decoded.settings.reasoning).toEqual({ effort: "high", summary: "detailed" });
  });

  it("passes a hosted tool's tool_choice to a Responses upstream only, and echoes it", () => {
    const choice = { type: "web_search_preview" };
    const decoded = decodeResponsesRequest({ input: "x", tools: [{ type: "web_search_preview" }], tool_choice: choice }, newId);
    const run = { ...decoded.run, model: "m", items: [] };
    expect(run.toolChoice).toBeUndefined();
    expect((encodeResponsesRequest(run) as unknown as Record<string, unknown>).tool_choice).toEqual(choice);
    expect((encodeChatRequest({ ...run, hostedTools: undefined }) as unknown as Record<string, unknown>).tool_choice).toBeUndefined();
    expect(decoded.settings.tool_choice).toEqual(choice);
    expect(() => decodeResponsesRequest({ input: "x", tool_choice: { type: "function" } }, newId)).toThrow(/tool_choice/);
  });

  it("never sends the proxy's own state fields upstream", () => {
    for (const field of ["previous_response_id", "conversation", "store", "background", "stream"] as const) {
      const rule = fieldRule(field);
      expect([rule.responses, rule.chat], field).toEqual(["drop", "drop"]);
    }
    expect(routeFields({ input: "x", previous_response_id: "resp_1", store: false, stream: true })).toEqual({ responses: {}, chat: {}, echo: {} });
  });
});
