import type { IncomingHttpHeaders } from "node:http";

/** A tool call the fake model makes. Object arguments are sent as JSON. */
export interface FakeToolCall {
  /** @default "call_fake<n>" */
  id?: string;
  name: string;
  arguments?: string | Record<string, unknown>;
  /** Responses only: the `namespace` of a call to a tool inside a namespace tool. */
  namespace?: string;
}

/** Token counts in the protocol's naming; anything left out is made up from the text. */
export interface FakeUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  reasoningTokens?: number;
  cachedTokens?: number;
}

/** Options that shape how any streamed reply is delivered. */
export interface FakeDelivery {
  /** Pause between two streamed frames. */
  delayMs?: number;
  /** Send this many frames at once before `delayMs` pacing starts (a stream that slows to a trickle). @default 0 */
  delayFrom?: number;
  /** Send this many frames, then destroy the socket (a reset mid-stream). */
  resetAfter?: number;
  /** Send this many frames, then fall silent with the connection open (for idle timeouts). */
  stallAfter?: number;
  /** Extra response headers. */
  headers?: Record<string, string>;
}

/** A model answer, rendered as Chat Completions or Responses, streamed or not, as the request asks. */
export interface FakeCompletion extends FakeDelivery {
  /** @default the last user text (none when `toolCalls` are given) */
  text?: string;
  /** Stream the text in this many pieces. @default one piece per word */
  chunks?: number;
  reasoning?: string;
  /** Which chat delta field carries reasoning. @default "reasoning_content" */
  reasoningField?: "reasoning_content" | "reasoning";
  /** How Responses streams carry reasoning: OpenAI's summaries or open models' reasoning text. @default "summary" */
  responsesReasoning?: "summary" | "text";
  toolCalls?: FakeToolCall[];
  /**
   * Responses only: output items of hosted tools (`web_search_call`, …), sent as given before the
   * message (streamed as `output_item.added` and `.done`). Chat has no such items and ignores them.
   */
  hostedItems?: Record<string, unknown>[];
  /** @default "tool_calls" with tool calls, else "stop" */
  finishReason?: "stop" | "length" | "tool_calls" | "content_filter";
  /** `null` sends no usage at all. */
  usage?: FakeUsage | null;
  /** @default the requested model */
  model?: string;
  /** Answer 400 to a streaming request without using up this reply; the non-stream retry gets it. */
  refuseStream?: boolean;
  /** Answer with the whole JSON body even when the request asked to stream. */
  ignoreStream?: boolean;
  /** Stream even when the request asked for one JSON answer. */
  alwaysStream?: boolean;
  /** Wait this long before a JSON answer's headers: a model generating the whole answer before it replies. */
  headersDelayMs?: number;
}

/** An error answer. `body` defaults to an OpenAI envelope that fits the status. */
export interface FakeErrorReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Raw SSE frames, written as given (each should end with a blank line). */
export interface FakeSseReply extends FakeDelivery {
  sse: string[];
  status?: number;
}

/** Never sends the response headers. */
export interface FakeHangReply {
  hang: true;
}

export type FakeReply = FakeCompletion | FakeErrorReply | FakeSseReply | FakeHangReply;

/** One request the fake upstream received. */
export interface RecordedRequest {
  method: string;
  /** Path and query, such as `/v1/chat/completions`. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body; `undefined` when there was none. Typed loosely so tests can reach in. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  /** Set when the client closed the connection before the reply was complete. */
  aborted: boolean;
}

/** Decides a reply from the request; `undefined` falls back to the default (echo) reply. */
export type FakeScript = (request: RecordedRequest) => FakeReply | undefined | Promise<FakeReply | undefined>;
