import { Agent, OpenAIConversationsSession, OpenAIProvider, Runner, setTracingDisabled, tool, webSearchTool } from "@openai/agents";
import OpenAI from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { requestsFor, toolOutputsOf, useClientProxy } from "../helpers/client-proxy.ts";

/**
 * The OpenAI Agents SDK (JS) on its Responses model, pointed at the proxy: an agent with a function
 * tool the SDK runs, the hosted `webSearchTool()`, and an `OpenAIConversationsSession` that keeps the
 * history in the proxy's Conversations API between two runs.
 */

beforeAll(() => {
  // Traces go to OpenAI by default; tests send nothing off this machine.
  setTracingDisabled(true);
});

describe.each(["responses", "chat"] as const)("the OpenAI Agents SDK, over a %s upstream", (api) => {
  const setup = useClientProxy(api);
  const openai = () => new OpenAI({ baseURL: setup.baseURL, apiKey: setup.apiKey, maxRetries: 0 });
  const runner = () => new Runner({ modelProvider: new OpenAIProvider({ openAIClient: openai(), useResponses: true }), tracingDisabled: true });

  it("runs an agent whose function tool the SDK executes", async () => {
    const marker = `What is the weather in Lyon? (${api})`;
    setup.upstream.script((request) => {
      if (!JSON.stringify(request.body).includes(marker)) return undefined;
      return toolOutputsOf(request).length === 0
        ? { toolCalls: [{ id: "call_weather_lyon", name: "get_weather", arguments: { city: "Lyon" } }] }
        : { text: "Lyon: 21°C, clear." };
    });
    const cities: string[] = [];
    const agent = new Agent({
      name: "Weather",
      instructions: "Answer with the weather tool.",
      model: "hermes-agent",
      tools: [
        tool({
          name: "get_weather",
          description: "The weather now in a city",
          parameters: z.object({ city: z.string() }),
          execute: async ({ city }) => {
            cities.push(city);
            return `${city}: 21°C, clear`;
          },
        }),
      ],
    });

    const result = await runner().run(agent, marker);

    expect(result.finalOutput).toBe("Lyon: 21°C, clear.");
    expect(cities).toEqual(["Lyon"]);
    const requests = requestsFor(setup.upstream, marker);
    expect(requests).toHaveLength(2);
    expect(JSON.stringify(requests[0]!.body)).toContain("Answer with the weather tool.");
    expect(toolOutputsOf(requests[1]!)).toEqual([{ callId: "call_weather_lyon", output: expect.stringContaining("Lyon: 21°C, clear") }]);
    expect((await openai().responses.retrieve(result.lastResponseId!)).output_text).toBe("Lyon: 21°C, clear.");
  });

  it("runs an agent with the hosted webSearchTool()", async () => {
    const marker = `Search for the hermes proxy (${api})`;
    setup.upstream.script((request) => (JSON.stringify(request.body).includes(marker) ? { text: "Searched." } : undefined));
    const agent = new Agent({ name: "Searcher", instructions: "Search when asked.", model: "hermes-agent", tools: [webSearchTool()] });

    const result = await runner().run(agent, marker);

    expect(result.finalOutput).toBe("Searched.");
    const [request] = requestsFor(setup.upstream, marker);
    const types = ((request!.body.tools ?? []) as { type: string }[]).map((entry) => entry.type);
    // Forwarded to a Responses upstream; over Chat nobody implements it, so it is left out. The
    // proxy's own server tools (clock, calculator) go as functions either way.
    expect(types.filter((type) => type !== "function")).toEqual(api === "responses" ? ["web_search"] : []);
    expect(types.filter((type) => type === "function")).toHaveLength(2);
  });

  it("keeps the history in an OpenAIConversationsSession between two runs", async () => {
    const marker = `My name is Grace (${api}).`;
    setup.upstream.enqueue({ text: "Hello Grace." }, { text: "You are Grace." });
    const session = new OpenAIConversationsSession({ client: openai() });
    const agent = new Agent({ name: "Host", instructions: "Be brief.", model: "hermes-agent" });

    const first = await runner().run(agent, marker, { session });
    const second = await runner().run(agent, "What is my name?", { session });

    expect(first.finalOutput).toBe("Hello Grace.");
    expect(second.finalOutput).toBe("You are Grace.");
    const requests = requestsFor(setup.upstream, marker);
    expect(requests).toHaveLength(2);
    const sent = JSON.stringify(requests[1]!.body);
    expect(sent.indexOf(marker)).toBeLessThan(sent.indexOf("Hello Grace."));
    expect(sent.indexOf("Hello Grace.")).toBeLessThan(sent.indexOf("What is my name?"));
    // The conversation lives in the proxy: both turns, in order.
    const conversationId = await session.getSessionId();
    const items = await openai().conversations.items.list(conversationId, { order: "asc" });
    const texts = items.data.map((item) => (item.type === "message" ? item.content.map((part) => ("text" in part ? part.text : "")).join("") : item.type));
    expect(texts).toEqual([marker, "Hello Grace.", "What is my name?", "You are Grace."]);
  });
});
