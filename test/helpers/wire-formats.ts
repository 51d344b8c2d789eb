import type { HermesEvent } from "../../src/protocol/index.ts";
import { RunCollector } from "../../src/runtime/collect.ts";
import { ResponseFold } from "../../src/runtime/turns/response-fold.ts";
import { ChatStreamEncoder } from "../../src/wire/chat/index.ts";
import { defaultSettings, ResponsesStreamEncoder } from "../../src/wire/responses/index.ts";
import { RunsEventEncoder, runEventFrame, STREAM_CLOSED_FRAME } from "../../src/wire/runs/index.ts";
import { SessionChatStreamEncoder } from "../../src/wire/sessions/index.ts";
import type { Outcome } from "./run-scenarios.ts";
import { scenarioCreatedAt, scenarioRunId } from "./run-scenarios.ts";
import { parseSse } from "./sse.ts";

/**
 * Each client stream format as the codec conformance suite sees it: how to encode a run, and how to
 * read back from the frames what every format must say (where the run ends, the block ids, the text,
 * the outcome). The suite's rules are the same for all; what differs is only how to read them here.
 */

/** One SSE frame; `data` parsed as JSON, except `[DONE]`. */
export interface Frame {
  event: string | undefined;
  id: string | undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data: any;
}

/** A frame's place in one block's life: the frame that opens it, one inside it, the one that closes it. */
export interface BlockFrame {
  id: string;
  phase: "start" | "delta" | "end";
}

export interface ClientCall {
  id: string;
  name: string;
  arguments: string;
}

export interface StreamFormat {
  name: string;
  /** The SSE text a client reads for the run, and what `abort` writes once the run is over (undefined: the format has no abort). */
  encode(events: readonly HermesEvent[]): { sse: string; abortAfterEnd: string | undefined };
  /** Whether the encoder has `abort` (the `StreamEncoder` interface); the Runs encoder does not. */
  abortable: boolean;
  /** The frame that says how the run ended. */
  isTerminal(frame: Frame): boolean;
  /** Frames allowed after the terminal one (usage, the end marker). */
  mayFollowTerminal(frame: Frame): boolean;
  /** The frame a stream of this format ends with. */
  isEndMarker(frame: Frame): boolean;
  /** Where the format numbers its frames, and from what. */
  sequence?: { of(frame: Frame): number; first: number };
  blocks(frames: Frame[]): BlockFrame[];
  /** Whether blocks have a closing frame of their own (Chat closes everything with its finish chunk). */
  closesBlocks: boolean;
  outcome(frames: Frame[]): Outcome | undefined;
  /** The text deltas, joined. */
  streamedText(frames: Frame[]): string;
  /** What the format puts between two messages of one run in its text deltas. */
  messageSeparator: string;
  /** The answer the end of the stream reports; `scope` says whether it is the whole run's text or the text after the last tool. */
  reported?: { scope: "run" | "answer"; text(frames: Frame[]): string | undefined };
  /** The client tool calls the stream hands back, when the format can. */
  clientCalls?(frames: Frame[]): ClientCall[];
  /** Runs that cannot reach this format, by scenario name (a session chat turn takes no client tools). */
  cannotCarry?: readonly string[];
}

export function framesOf(sse: string): Frame[] {
  return parseSse(sse).map((frame) => ({ event: frame.event, id: frame.id, data: frame.data === "[DONE]" ? "[DONE]" : JSON.parse(frame.data) }));
}

const abortError = { message: "Internal server error", type: "server_error" as const, code: "internal_error" };
const finishStatus: Record<string, Outcome["status"]> = {
  stop: "completed",
  length: "incomplete",
  content_filter: "incomplete",
  tool_calls: "requires_action",
};

export const chatStream: StreamFormat = {
  abortable: true,
  name: "Chat Completions stream",
  encode(events) {
    const encoder = new ChatStreamEncoder({ includeUsage: true });
    const sse = events.map((event) => encoder.encode(event)).join("");
    return { sse, abortAfterEnd: encoder.abort(abortError) };
  },
  isTerminal: (frame) => frame.data !== "[DONE]" && (frame.data.error !== undefined || (frame.data.choices?.[0]?.finish_reason ?? null) !== null),
  mayFollowTerminal: (frame) => frame.data === "[DONE]" || (frame.data.choices?.length === 0 && frame.data.usage !== undefined),
  isEndMarker: (frame) => frame.data === "[DONE]",
  blocks: (frames) =>
    chunks(frames).flatMap((chunk) =>
      (chunk.choices[0]?.delta.tool_calls ?? []).map(
        (call: { index: number; id?: string }) => ({ id: `call ${call.index}`, phase: call.id ? "start" : "delta" }) as const,
      ),
    ),
  closesBlocks: false,
  outcome(frames) {
    const terminal = frames.find(chatStream.isTerminal);
    if (!terminal) return undefined;
    if (terminal.data.error) return { status: "failed", code: terminal.data.error.code };
    return { status: finishStatus[terminal.data.choices[0].finish_reason]! };
  },
  streamedText: (frames) =>
    chunks(frames)
      .map((chunk) => chunk.choices[0]?.delta.content ?? "")
      .join(""),
  messageSeparator: "\n\n",
  clientCalls(frames) {
    const calls: ClientCall[] = [];
    for (const chunk of chunks(frames)) {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) {
        if (call.id) calls[call.index] = { id: call.id, name: call.function.name, arguments: call.function.arguments };
        else calls[call.index]!.arguments += call.function.arguments;
      }
    }
    return calls;
  },
};

/** Chat's choice chunks (not the usage chunk, the error frame or `[DONE]`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function chunks(frames: Frame[]): any[] {
  return frames.filter((frame) => frame.data !== "[DONE]" && frame.data.choices?.length > 0).map((frame) => frame.data);
}

export const responsesMeta = { id: "resp_1", createdAt: scenarioCreatedAt, model: "gpt-test", settings: defaultSettings };
const responsesTerminals = new Set(["response.completed", "response.incomplete", "response.failed"]);

export const responsesStream: StreamFormat = {
  abortable: true,
  name: "Responses stream",
  encode(events) {
    // The run's one fold beside the encoder, as the runtime keeps them: each event folded, then encoded.
    const fold = new ResponseFold(responsesMeta);
    const encoder = new ResponsesStreamEncoder(responsesMeta, () => fold.response());
    const sse = events.map((event) => (fold.collector.add(event), encoder.encode(event))).join("");
    return { sse, abortAfterEnd: encoder.abort(abortError) };
  },
  isTerminal: (frame) => responsesTerminals.has(frame.data.type),
  mayFollowTerminal: () => false,
  isEndMarker: (frame) => responsesTerminals.has(frame.data.type),
  sequence: { of: (frame) => frame.data.sequence_number, first: 0 },
  blocks: (frames) =>
    frames.flatMap((frame): BlockFrame[] => {
      if (frame.data.type === "response.output_item.added") return [{ id: frame.data.item.id, phase: "start" }];
      if (frame.data.type === "response.output_item.done") return [{ id: frame.data.item.id, phase: "end" }];
      return typeof frame.data.item_id === "string" ? [{ id: frame.data.item_id, phase: "delta" }] : [];
    }),
  closesBlocks: true,
  outcome(frames) {
    const terminal = frames.find(responsesStream.isTerminal);
    if (!terminal) return undefined;
    const { response } = terminal.data;
    if (terminal.data.type === "response.failed") return { status: "failed", code: response.error?.code };
    if (terminal.data.type === "response.incomplete") return { status: "incomplete" };
    // The API hands client calls back as a completed response ending in calls nobody answered.
    return { status: responsesClientCalls(response.output).length > 0 ? "requires_action" : "completed" };
  },
  streamedText: (frames) =>
    frames
      .filter((frame) => frame.data.type === "response.output_text.delta")
      .map((frame) => frame.data.delta)
      .join(""),
  messageSeparator: "",
  reported: {
    scope: "run",
    text(frames) {
      const terminal = frames.find(responsesStream.isTerminal);
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const messages = (terminal?.data.response.output ?? []).filter((item: any) => item.type === "message");
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      return messages.map((item: any) => item.content.map((part: { text: string }) => part.text).join("")).join("");
    },
  },
  clientCalls: (frames) => responsesClientCalls(frames.find(responsesStream.isTerminal)?.data.response.output ?? []),
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function responsesClientCalls(output: any[]): ClientCall[] {
  const answered = new Set(output.filter((item) => item.type === "function_call_output").map((item) => item.call_id));
  return output
    .filter((item) => item.type === "function_call" && !answered.has(item.call_id))
    .map((item) => ({ id: item.call_id, name: item.name, arguments: item.arguments }));
}

const runsTerminals = new Set(["run.completed", "run.failed", "run.cancelled"]);

/**
 * The Runs event stream as `GET /v1/runs/{id}/events` writes it: each payload the encoder gives, numbered
 * from 1 as the run log numbers it, `: stream closed` after the end. The Runs encoder has no abort: the
 * runs executor writes its own `run.failed` when the loop breaks (runtime/runs/execute.ts).
 */
export function encodeRunsStream(events: readonly HermesEvent[]): string {
  const collector = new RunCollector();
  const encoder = new RunsEventEncoder(scenarioRunId, collector.result);
  let timestamp = scenarioCreatedAt;
  let sequence = 0;
  let sse = "";
  for (const event of events) {
    collector.add(event);
    const payload = encoder.encode(event, (timestamp += 0.25));
    if (payload) sse += runEventFrame(++sequence, JSON.stringify(payload));
  }
  return sse + STREAM_CLOSED_FRAME;
}

export const runsStream: StreamFormat = {
  abortable: false,
  name: "Runs events",
  encode: (events) => ({ sse: encodeRunsStream(events), abortAfterEnd: undefined }),
  isTerminal: (frame) => runsTerminals.has(frame.data.event),
  mayFollowTerminal: () => false,
  isEndMarker: (frame) => runsTerminals.has(frame.data.event),
  sequence: { of: (frame) => Number(frame.id), first: 1 },
  blocks: (frames) =>
    frames.flatMap((frame): BlockFrame[] => {
      if (frame.data.event === "tool.started") return [{ id: frame.data.tool_call_id, phase: "start" }];
      if (frame.data.event === "tool.completed") return [{ id: frame.data.tool_call_id, phase: "end" }];
      return [];
    }),
  closesBlocks: true,
  outcome(frames) {
    const terminal = frames.find(runsStream.isTerminal);
    if (!terminal) return undefined;
    if (terminal.data.event === "run.cancelled") return { status: "failed", code: "cancelled" };
    if (terminal.data.event === "run.failed") return { status: "failed", code: terminal.data.code };
    return { status: terminal.data.status ?? "completed" };
  },
  streamedText: (frames) =>
    frames
      .filter((frame) => frame.data.event === "message.delta")
      .map((frame) => frame.data.delta)
      .join(""),
  messageSeparator: "",
  reported: { scope: "answer", text: (frames) => frames.find((frame) => frame.data.event === "run.completed")?.data.output },
  clientCalls: (frames) => frames.find((frame) => frame.data.event === "run.completed")?.data.tool_calls ?? [],
};

export const sessionOptions = { sessionId: "sess_1", runId: scenarioRunId, messageId: "msg_turn", userContent: "What time is it?" };

export const sessionsStream: StreamFormat = {
  abortable: true,
  name: "sessions chat stream",
  encode(events) {
    let tick = scenarioCreatedAt;
    const collector = new RunCollector();
    const encoder = new SessionChatStreamEncoder({ ...sessionOptions, now: () => (tick += 0.25), run: collector.result });
    const sse = events.map((event) => (collector.add(event), encoder.encode(event))).join("");
    return { sse, abortAfterEnd: encoder.abort(abortError) };
  },
  isTerminal: (frame) => frame.event === "run.completed" || frame.event === "error",
  mayFollowTerminal: (frame) => frame.event === "done",
  isEndMarker: (frame) => frame.event === "done",
  sequence: { of: (frame) => frame.data.seq, first: 1 },
  blocks: (frames) =>
    frames.flatMap((frame): BlockFrame[] => {
      switch (frame.event) {
        case "message.started":
          return [{ id: frame.data.message.id, phase: "start" }];
        case "assistant.delta":
        case "tool.progress":
          return [{ id: frame.data.message_id, phase: "delta" }];
        case "assistant.completed":
          return [{ id: frame.data.message_id, phase: "end" }];
        case "tool.started":
          return [{ id: frame.data.tool_call_id, phase: "start" }];
        case "tool.completed":
        case "tool.failed":
          return [{ id: frame.data.tool_call_id, phase: "end" }];
        default:
          return [];
      }
    }),
  closesBlocks: true,
  outcome(frames) {
    const terminal = frames.find(sessionsStream.isTerminal);
    if (!terminal) return undefined;
    if (terminal.event === "error") return { status: "failed", code: terminal.data.code };
    const answer = frames.find((frame) => frame.event === "assistant.completed");
    return { status: answer?.data.partial ? "incomplete" : "completed" };
  },
  streamedText: (frames) =>
    frames
      .filter((frame) => frame.event === "assistant.delta")
      .map((frame) => frame.data.delta)
      .join(""),
  messageSeparator: "",
  reported: { scope: "answer", text: (frames) => frames.find((frame) => frame.event === "assistant.completed")?.data.content },
  cannotCarry: ["client-tool-calls"],
};

export const streamFormats: StreamFormat[] = [chatStream, responsesStream, runsStream, sessionsStream];
