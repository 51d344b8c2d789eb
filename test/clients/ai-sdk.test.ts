import { createOpenAI } from "@ai-sdk/openai";
import { generateText, type ModelMessage, stepCountIs, streamText, tool } from "ai";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { requestsFor, toolOutputsOf, useClientProxy } from "../helpers/client-proxy.ts";

/**
 * The Vercel AI SDK's OpenAI Responses provider (`@ai-sdk/openai`, `openai.responses(…)`) with its
 * default `store: true`: from its second turn on it sends earlier assistant turns as
 * `{ type: "item_reference", id }` without `previous_response_id`, which the proxy resolves from what
 * it stored. And a tool the SDK runs itself, streamed.
 */
describe.each(["responses", "chat"] as const)("the AI SDK's OpenAI Responses provider, over a %s upstream", (api) => {
  const setup = useClientProxy(api);
  /** What the SDK sent the proxy, to show the test exercises what it says it does. */
  const sentBodies: Record<string, unknown>[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    if (typeof init?.body === "string") sentBodies.push(JSON.parse(init.body) as Record<string, unknown>);
    return fetch(input, init);
  };
  const provider = () => createOpenAI({ baseURL: setup.baseURL, apiKey: setup.apiKey, fetch: recordingFetch });

  it("holds a multi-turn chat with store on (its second turn references the first answer by id)", async () => {
    const marker = `I am Ada (${api}).`;
    setup.upstream.enqueue({ text: "Nice to meet you, Ada." }, { text: "Your name is Ada." });
    const messages: ModelMessage[] = [{ role: "user", content: marker }];

    const first = await generateText({ model: provider().responses("hermes-agent"), messages });
    expect(first.text).toBe("Nice to meet you, Ada.");
    messages.push(...first.response.messages, { role: "user", content: "What is my name?" });
    const second = await generateText({ model: provider().responses("hermes-agent"), messages });

    // The SDK sent the first answer as a reference, without previous_response_id.
    const sentSecond = sentBodies.at(-1)!;
    expect(sentSecond.previous_response_id).toBeUndefined();
    expect(sentSecond.input).toContainEqual({ type: "item_reference", id: expect.stringMatching(/^msg_/) });
    expect(second.text).toBe("Your name is Ada.");
    const requests = requestsFor(setup.upstream, marker);
    expect(requests).toHaveLength(2);
    // The reference reached the model as the answer it stands for, in order.
    const sent = JSON.stringify(requests[1]!.body);
    expect(sent).not.toContain("item_reference");
    expect(sent.indexOf(marker)).toBeLessThan(sent.indexOf("Nice to meet you, Ada."));
    expect(sent.indexOf("Nice to meet you, Ada.")).toBeLessThan(sent.indexOf("What is my name?"));
    // Both turns are stored, under the ids the SDK saw.
    const openai = new OpenAI({ baseURL: setup.baseURL, apiKey: setup.apiKey, maxRetries: 0 });
    expect((await openai.responses.retrieve(first.response.id)).output_text).toBe("Nice to meet you, Ada.");
    expect((await openai.responses.retrieve(second.response.id)).output_text).toBe("Your name is Ada.");
  });

  it("streams a turn in which the SDK runs a tool of its own", async () => {
    const marker = `What is the weather in Paris? (${api})`;
    setup.upstream.script((request) => {
      if (!JSON.stringify(request.body).includes(marker)) return undefined;
      return toolOutputsOf(request).length === 0
        ? { toolCalls: [{ id: "call_weather_1", name: "get_weather", arguments: { city: "Paris" } }] }
        : { text: "It is 18°C and sunny in Paris." };
    });
    const calls: string[] = [];

    const result = streamText({
      model: provider().responses("hermes-agent"),
      prompt: marker,
      tools: {
        get_weather: tool({
          description: "The weather now in a city",
          inputSchema: z.object({ city: z.string() }),
          execute: async ({ city }) => {
            calls.push(city);
            return { city, celsius: 18, sky: "sunny" };
          },
        }),
      },
      stopWhen: stepCountIs(3),
    });
    let streamed = "";
    for await (const delta of result.textStream) streamed += delta;

    expect(calls).toEqual(["Paris"]);
    expect(streamed).toBe("It is 18°C and sunny in Paris.");
    expect(await result.finishReason).toBe("stop");
    const requests = requestsFor(setup.upstream, marker);
    expect(requests).toHaveLength(2);
    expect(toolOutputsOf(requests[1]!)).toEqual([{ callId: "call_weather_1", output: expect.stringContaining('"celsius":18') }]);
    const steps = await result.steps;
    expect(steps).toHaveLength(2);
    const openai = new OpenAI({ baseURL: setup.baseURL, apiKey: setup.apiKey, maxRetries: 0 });
    expect((await openai.responses.retrieve(steps[1]!.response.id)).output_text).toBe("It is 18°C and sunny in Paris.");
  });
});
