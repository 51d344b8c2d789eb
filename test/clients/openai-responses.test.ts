import OpenAI from "openai";
import type { FunctionTool, ResponseStreamEvent, Tool } from "openai/resources/responses/responses";
import { describe, expect, it } from "vitest";
import { requestsFor, toolOutputsOf, useClientProxy } from "../helpers/client-proxy.ts";
import type { FakeUpstream, RecordedRequest } from "../helpers/fake-upstream.ts";

/**
 * The `openai` Node SDK on the Responses API with the tools real clients send besides plain functions:
 * a hosted tool (`web_search`) and a `namespace` tool, streamed and not, and a second turn on
 * `previous_response_id` that answers the namespaced call. Over a Responses upstream hosted tools go
 * upstream untouched and their output items come back; over a Chat upstream a hosted tool nobody
 * implements is left out with a warning header, and a namespace's functions still reach the model.
 */

const lookupCustomer: FunctionTool = {
  type: "function",
  name: "lookup_customer",
  description: "Finds a customer by email",
  parameters: { type: "object", properties: { email: { type: "string" } }, required: ["email"], additionalProperties: false },
  strict: true,
};
const crmNamespace = { type: "namespace", name: "crm", description: "The customer database.", tools: [lookupCustomer] } as unknown as Tool;
const webSearchCall = { id: "ws_fake_1", type: "web_search_call", status: "completed", action: { type: "search", query: "hermes proxy" } };

const toolNamesOf = (request: RecordedRequest): string[] =>
  ((request.body.tools ?? []) as { name?: string; function?: { name: string } }[]).map((tool) => tool.function?.name ?? tool.name ?? "");

/**
 * The model calls the namespaced `lookup_customer` under whatever name it was given: inside the
 * `crm` namespace tool when one reached it, else the function tool whose name carries it.
 */
function scriptCrmRound(upstream: FakeUpstream, marker: string, answer: string): void {
  upstream.script((request) => {
    if (!JSON.stringify(request.body ?? null).includes(marker)) return undefined;
    if (toolOutputsOf(request).length > 0) return { text: answer };
    const args = { email: "ada@example.com" };
    const tools = (request.body.tools ?? []) as { type: string; name?: string }[];
    if (tools.some((tool) => tool.type === "namespace" && tool.name === "crm"))
      return { toolCalls: [{ id: "call_crm_1", namespace: "crm", name: "lookup_customer", arguments: args }] };
    const flat = toolNamesOf(request).find((name) => name.includes("lookup_customer"));
    return flat ? { toolCalls: [{ id: "call_crm_1", name: flat, arguments: args }] } : { text: "lookup_customer never reached the model" };
  });
}

async function collect(stream: AsyncIterable<ResponseStreamEvent>): Promise<ResponseStreamEvent[]> {
  const events: ResponseStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

const completedOf = (events: ResponseStreamEvent[]) => {
  const last = events.at(-1);
  expect(last?.type).toBe("response.completed");
  return (last as Extract<ResponseStreamEvent, { type: "response.completed" }>).response;
};

describe.each(["responses", "chat"] as const)("the openai SDK on the Responses API with hosted and namespace tools, over a %s upstream", (api) => {
  const setup = useClientProxy(api);
  const client = () => new OpenAI({ baseURL: setup.baseURL, apiKey: setup.apiKey, maxRetries: 0 });

  it("takes a hosted web_search tool (not streamed)", async () => {
    const marker = `Search the web for hermes (${api}, JSON)`;
    setup.upstream.script((request) => (JSON.stringify(request.body).includes(marker) ? { hostedItems: [webSearchCall], text: "Found it." } : undefined));

    const { data: response, response: raw } = await client()
      .responses.create({ model: "hermes-agent", input: marker, tools: [{ type: "web_search" }, lookupCustomer] })
      .withResponse();

    const [request] = requestsFor(setup.upstream, marker);
    expect(requestsFor(setup.upstream, marker)).toHaveLength(1);
    expect(toolNamesOf(request!)).toContain("lookup_customer");
    if (api === "responses") {
      // Forwarded untouched, and its output item comes back and is stored.
      expect(request!.body.tools).toContainEqual({ type: "web_search" });
      expect(response.output).toEqual([expect.objectContaining(webSearchCall), expect.objectContaining({ type: "message" })]);
      expect((await client().responses.retrieve(response.id)).output).toContainEqual(expect.objectContaining(webSearchCall));
    } else {
      // Nobody implements it over Chat: left out of the upstream request, with a header that names it.
      expect(request!.body.tools.every((tool: { type: string }) => tool.type === "function")).toBe(true);
      const warning = [...raw.headers.entries()].find(([name, value]) => name.startsWith("x-hermes") && value.includes("web_search"));
      expect(warning, `response headers: ${JSON.stringify([...raw.headers.entries()])}`).toBeDefined();
      expect((await client().responses.retrieve(response.id)).output_text).toBe("Found it.");
    }
    expect(response.output_text).toBe("Found it.");
  });

  it("takes a hosted web_search tool (streamed)", async () => {
    const marker = `Search the web for hermes (${api}, stream)`;
    setup.upstream.script((request) => (JSON.stringify(request.body).includes(marker) ? { hostedItems: [webSearchCall], text: "Found it." } : undefined));

    const events = await collect(await client().responses.create({ model: "hermes-agent", input: marker, tools: [{ type: "web_search" }], stream: true }));

    const response = completedOf(events);
    expect(
      response.output_text ??
        response.output
          .flatMap((item) => (item.type === "message" ? item.content : []))
          .map((part) => ("text" in part ? part.text : ""))
          .join(""),
    ).toBe("Found it.");
    expect(requestsFor(setup.upstream, marker)).toHaveLength(1);
    if (api === "responses") {
      const added = events.filter((event) => event.type === "response.output_item.added").map((event) => (event as { item: { type: string } }).item.type);
      expect(added).toEqual(["web_search_call", "message"]);
      expect(response.output[0]).toMatchObject(webSearchCall);
      expect((await client().responses.retrieve(response.id)).output[0]).toMatchObject(webSearchCall);
    } else {
      expect(response.output.map((item) => item.type)).toEqual(["message"]);
    }
  });

  it("takes a namespace tool: the call comes back under its namespace, and the second turn answers it on previous_response_id", async () => {
    const marker = `Look up Ada in the CRM (${api})`;
    scriptCrmRound(setup.upstream, marker, "Ada is a customer since 2021.");

    const events = await collect(await client().responses.create({ model: "hermes-agent", input: marker, tools: [crmNamespace], stream: true }));
    const first = completedOf(events);
    const call = first.output.find((item) => item.type === "function_call");
    expect(call, JSON.stringify(first.output)).toMatchObject({
      type: "function_call",
      namespace: "crm",
      name: "lookup_customer",
      call_id: "call_crm_1",
      arguments: JSON.stringify({ email: "ada@example.com" }),
    });
    expect(first.status).toBe("completed");

    const second = await client().responses.create({
      model: "hermes-agent",
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: "call_crm_1", output: JSON.stringify({ name: "Ada", since: 2021 }) }],
      tools: [crmNamespace],
    });

    expect(second.output_text).toBe("Ada is a customer since 2021.");
    expect(second.previous_response_id).toBe(first.id);
    const requests = requestsFor(setup.upstream, marker);
    expect(requests).toHaveLength(2);
    expect(toolOutputsOf(requests[1]!)).toEqual([{ callId: "call_crm_1", output: JSON.stringify({ name: "Ada", since: 2021 }) }]);
    // The stored first turn gave the model its own call back, under the name it used.
    expect(JSON.stringify(requests[1]!.body)).toContain("call_crm_1");
    const stored = await client().responses.retrieve(first.id);
    expect(stored.output).toContainEqual(expect.objectContaining({ type: "function_call", namespace: "crm", name: "lookup_customer" }));
    const inputItems = await client().responses.inputItems.list(second.id);
    expect(inputItems.data).toContainEqual(expect.objectContaining({ type: "function_call_output", call_id: "call_crm_1" }));
  });
});
