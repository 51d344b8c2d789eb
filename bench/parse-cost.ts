/**
 * Micro-benchmark of request and upstream-chunk validation: µs per call for a typical Chat request,
 * a typical upstream stream chunk and a non-stream completion. Run from the repository root:
 *   node --import jiti/register bench/parse-cost.ts      (JITLESS=1 for zod without its compiled objects)
 * Figures on a shared machine move by ±30 %; compare builds in back-to-back runs.
 */
import { performance } from "node:perf_hooks";
import { z } from "zod";
import type { HermesEvent } from "../src/protocol/index.ts";

if (process.env.JITLESS) z.config({ jitless: true });
// Imported after the config, so that no schema has compiled yet.
const { chatRequestSchema } = await import("../src/wire/chat/schema.ts");
const { decodeChatRequest } = await import("../src/wire/chat/decode.ts");
const { chatChunkSchema } = await import("../src/upstream/chat/schema.ts");
const { ChatChunkParser } = await import("../src/upstream/chat/chunk-parser.ts");
const { ChatStreamDecoder } = await import("../src/upstream/chat/decode-stream.ts");
const { decodeChatJson } = await import("../src/upstream/chat/decode-json.ts");

/** µs per call: the median of 9 rounds of `n` calls, after one round of warm-up. */
function measure(name: string, n: number, run: () => unknown): void {
  for (let i = 0; i < n; i++) run();
  const rounds: number[] = [];
  for (let round = 0; round < 9; round++) {
    const start = performance.now();
    for (let i = 0; i < n; i++) run();
    rounds.push(((performance.now() - start) * 1000) / n);
  }
  rounds.sort((a, b) => a - b);
  console.log(`${name.padEnd(56)} ${rounds[4]!.toFixed(2).padStart(7)} µs`);
}

// The bench's conversation (bench/requests.ts): a chat frontend's second turn.
const messages = [
  { role: "system", content: "You are a concise assistant. Answer in plain text, without markdown, in at most three sentences." },
  { role: "user", content: "What is the capital of France, and roughly how many people live there?" },
  { role: "assistant", content: "Paris is the capital of France; about 2.1 million people live in the city and 12 million in its metropolitan area." },
  { role: "user", content: "And which river runs through it? Give one sentence about its history as a trade route as well." },
];
const short = { model: "gpt-4.1", stream: true, messages };
const long = {
  model: "gpt-4.1",
  stream: true,
  temperature: 0.7,
  messages: Array.from({ length: 40 }, (_, i) => ({ ...messages[i % 4]!, content: messages[i % 4]!.content.repeat(5) })),
};
const chunkText =
  '{"id":"chatcmpl-AbC123text","object":"chat.completion.chunk","created":1732000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}],"usage":null}';
const completion = {
  id: "chatcmpl-1",
  object: "chat.completion",
  choices: [{ index: 0, message: { role: "assistant", content: "Paris, on the Seine.", refusal: null }, logprobs: null, finish_reason: "stop" }],
  usage: { prompt_tokens: 60, completion_tokens: 6, total_tokens: 66, prompt_tokens_details: { cached_tokens: 0 } },
};

console.log(process.env.JITLESS ? "zod jitless" : "zod with its compiled objects (default)");
const shortText = JSON.stringify(short);
measure("chat request, 4 messages: JSON.parse (for scale)", 20_000, () => JSON.parse(shortText));
measure("chat request, 4 messages: chatRequestSchema.safeParse", 20_000, () => chatRequestSchema.safeParse(short));
measure("chat request, 4 messages: decodeChatRequest", 20_000, () => decodeChatRequest(short));
measure("chat request, 40 messages: chatRequestSchema.safeParse", 5_000, () => chatRequestSchema.safeParse(long));
measure("chat request, 40 messages: decodeChatRequest", 5_000, () => decodeChatRequest(long));

const parser = new ChatChunkParser();
const chunk = parser.parse(chunkText);
const decoder = new ChatStreamDecoder();
const events: HermesEvent[] = [];
measure("chunk: ChatChunkParser.parse (envelope learnt)", 100_000, () => parser.parse(chunkText));
measure("chunk: chatChunkSchema.safeParse", 100_000, () => chatChunkSchema.safeParse(chunk));
measure("chunk: parse + ChatStreamDecoder.push", 100_000, () => {
  events.length = 0;
  decoder.push(parser.parse(chunkText), events);
});
measure("completion: decodeChatJson", 20_000, () => decodeChatJson(completion));
