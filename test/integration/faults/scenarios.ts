import type { FakeReply } from "../../helpers/fake-upstream.ts";

/**
 * The upstream faults of the fault matrix, each scripted for the fake upstream in both upstream APIs,
 * with what the proxy must answer. `phase` says where the failure lands: `before` the first piece of
 * output (a streaming route can still answer with an HTTP status), `mid`-stream (the stream is open:
 * only an in-stream terminal error is possible), or `none` for the control rows that must complete.
 */

export type UpstreamApi = "chat" | "responses";

export interface FaultScenario {
  id: string;
  /** What the upstream does, for the table. */
  title: string;
  replies(api: UpstreamApi): FakeReply[];
  /** Upstream requests the proxy should make (retries included). */
  attempts: number;
  expect: { phase: "before" | "mid" | "none"; status: number; code: string; retryAfter?: string };
}

/** The timeouts the fault rigs run with: small, so a timeout case costs about a second. */
export const faultTimeouts = { connectTimeoutMs: 1_000, headersTimeoutMs: 300, generationTimeoutMs: 300, idleTimeoutMs: 300, maxRetries: 2, retryDelayMs: 5 };

/** Ten words: several frames of text arrive before a mid-stream fault. */
export const answer = "alpha beta gamma delta epsilon zeta eta theta iota kappa";

const chatChunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: "chatcmpl-f", object: "chat.completion.chunk", created: 1, model: "fake-model", choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;

const responsesEvent = (type: string, fields: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...fields })}\n\n`;

/** The opening of a streamed answer up to two words of text, in the upstream's own framing. */
function openingFrames(api: UpstreamApi): string[] {
  if (api === "chat") return [chatChunk({ role: "assistant", content: "" }), chatChunk({ content: "alpha" }), chatChunk({ content: " beta" })];
  const response = { id: "resp_f", object: "response", created_at: 1, status: "in_progress", model: "fake-model", output: [] };
  const at = { item_id: "msg_f", output_index: 0, content_index: 0 };
  return [
    responsesEvent("response.created", { response, sequence_number: 0 }),
    responsesEvent("response.output_item.added", {
      output_index: 0,
      item: { id: "msg_f", type: "message", role: "assistant", status: "in_progress", content: [] },
      sequence_number: 1,
    }),
    responsesEvent("response.output_text.delta", { ...at, delta: "alpha", sequence_number: 2 }),
    responsesEvent("response.output_text.delta", { ...at, delta: " beta", sequence_number: 3 }),
  ];
}

/** How many frames of the fake's rendering carry `words` words of text: the openings differ per API. */
const framesThrough = (api: UpstreamApi, words: number) => (api === "chat" ? 1 + words : 4 + words);

const repeat = (count: number, reply: FakeReply): FakeReply[] => Array.from({ length: count }, () => ({ ...reply }));

export const faultScenarios: FaultScenario[] = [
  {
    id: "5xx",
    title: "5xx before the first byte, every attempt",
    replies: () => [{ status: 500 }, { status: 503 }, { status: 502 }],
    attempts: 3,
    expect: { phase: "before", status: 502, code: "upstream_error" },
  },
  {
    id: "429",
    title: "429 with `Retry-After: 1` (and `retry-after-ms: 20`), every attempt",
    replies: () => repeat(3, { status: 429, headers: { "retry-after": "1", "retry-after-ms": "20" } }),
    attempts: 3,
    expect: { phase: "before", status: 429, code: "rate_limit_exceeded", retryAfter: "1" },
  },
  {
    id: "no-headers",
    title: "no response headers within `headersTimeoutMs` (`generationTimeoutMs` for a call asked for JSON)",
    replies: () => [{ hang: true }],
    attempts: 1,
    expect: { phase: "before", status: 504, code: "upstream_timeout" },
  },
  {
    id: "reset",
    title: "connection reset mid-stream",
    replies: (api) => [{ text: answer, resetAfter: framesThrough(api, 2) }],
    attempts: 1,
    expect: { phase: "mid", status: 502, code: "upstream_error" },
  },
  {
    id: "malformed-sse",
    title: "malformed SSE line (truncated JSON) mid-stream",
    replies: (api) => [
      {
        sse: [
          ...openingFrames(api),
          api === "chat"
            ? 'data: {"choices":[{"index":0,"delta":{"content":" gam\n\n'
            : 'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","del\n\n',
          ...openingFrames(api).slice(-1),
        ],
        // Paced, so the text before the bad line reaches the proxy in reads of its own.
        delayMs: 10,
      },
    ],
    attempts: 1,
    expect: { phase: "mid", status: 502, code: "upstream_error" },
  },
  {
    id: "no-finish",
    title: "stream ends without a finish reason (chat: `[DONE]` without `finish_reason`; responses: no terminal event)",
    replies: (api) => [{ sse: api === "chat" ? [...openingFrames(api), "data: [DONE]\n\n"] : openingFrames(api) }],
    attempts: 1,
    expect: { phase: "mid", status: 502, code: "upstream_error" },
  },
  {
    id: "trickle",
    title: "a trickle slower than `idleTimeoutMs` after the first words",
    replies: (api) => [{ text: answer, delayFrom: framesThrough(api, 2), delayMs: 2_000 }],
    attempts: 1,
    expect: { phase: "mid", status: 504, code: "upstream_timeout" },
  },
  {
    id: "invalid-json",
    title: "invalid JSON in a `200 application/json` body",
    replies: () => [{ status: 200, body: '{"id":"chatcmpl-f","choices":[{"message":', headers: { "content-type": "application/json" } }],
    attempts: 1,
    expect: { phase: "before", status: 502, code: "upstream_error" },
  },
  {
    id: "steady-trickle",
    title: "control: a slow but steady trickle, every gap under `idleTimeoutMs`",
    replies: () => [{ text: answer, delayMs: 120 }],
    attempts: 1,
    expect: { phase: "none", status: 200, code: "completed" },
  },
  {
    id: "json-to-stream",
    title: "control: a whole JSON body to a streaming request",
    replies: () => [{ text: answer, ignoreStream: true }],
    attempts: 1,
    expect: { phase: "none", status: 200, code: "completed" },
  },
];

/** The client-facing formats and modes of the matrix. */
export type Mode = "chat" | "chat-stream" | "responses" | "responses-stream" | "runs";

/** What a client of `mode` must observe for `scenario`: the table's cell, and what the tests compare. */
export function expectedTerminal(scenario: FaultScenario, mode: Mode): string {
  const { phase, status, code, retryAfter } = scenario.expect;
  const http = `HTTP ${status} \`${code}\`${retryAfter ? `, Retry-After: ${retryAfter}` : ""}`;
  if (phase === "none") {
    if (mode === "chat") return "HTTP 200, finish_reason `stop`";
    if (mode === "chat-stream") return "finish_reason `stop`, `[DONE]`";
    if (mode === "responses") return "HTTP 200, status `completed`";
    if (mode === "responses-stream") return "`response.completed`; GET: `completed`";
    return "`run.completed`; GET: `completed`";
  }
  if (mode === "runs") return `\`run.failed\` \`${code}\`; GET: \`failed\``;
  if (mode === "chat" || mode === "responses" || phase === "before") return http;
  if (mode === "chat-stream") return `partial text, error frame \`${code}\`, \`[DONE]\``;
  return `partial text, \`response.failed\` \`${code}\`; GET: \`failed\``;
}
