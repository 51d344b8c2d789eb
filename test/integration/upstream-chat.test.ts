import { createChatUpstream } from "../../src/upstream/chat/index.ts";
import { describeUpstream, useFakeUpstream, weatherTool } from "../helpers/describe-upstream.ts";
import type { UpstreamTarget } from "../helpers/describe-upstream.ts";

/** A chat chunk as OpenAI streams it. */
const chunk = (delta: object) => `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;

const chatTarget: UpstreamTarget = {
  name: "createChatUpstream",
  kind: "chat",
  path: "/v1/chat/completions",
  create: createChatUpstream,
  expectedBody: {
    model: "gpt-test",
    messages: [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Weather?" },
      { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: "{}" } }] },
      { role: "tool", tool_call_id: "call_1", content: "18C" },
      { role: "assistant", content: "18C." },
      { role: "user", content: "Hi" },
    ],
    tools: [{ type: "function", function: weatherTool }],
    tool_choice: "auto",
    temperature: 0.5,
    stop: ["END"],
    stream: true,
    stream_options: { include_usage: true },
  },
  maxTokensField: "max_completion_tokens",
  onStreamRefused: "retry",
  reasoningStyles: { reasoning_content: { reasoningField: "reasoning_content" }, reasoning: { reasoningField: "reasoning" } },
  // The role chunk, then a chunk per word.
  midTextFrame: 3,
  broken: {
    truncated: [[chunk({ role: "assistant", content: "" }), chunk({ content: "Half an" }), "data: [DONE]\n\n"], [chunk({ content: "Half an" })]],
    truncatedMessage: /finish reason/,
    errorMidStream: [`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: "Hi" } }] })}\n\n`, `data: {"error":{"message":"overloaded"}}\n\n`],
    notJson: [chunk({ content: "Hi" }), "data: {not json\n\n"],
    heldOpen: {
      sse: [
        chunk({ content: "Hi" }),
        `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\n`,
        "data: [DONE]\n\n",
        ": never sent\n\n",
      ],
      stallAfter: 3,
    },
  },
};

// Everything the chat upstream does is shared with the other upstreams; its own extra (the
// non-stream retry when the upstream refuses to stream) is in the suite too, as `onStreamRefused`.
describeUpstream(chatTarget, useFakeUpstream(chatTarget, "sk-upstream-secret-1234"));
