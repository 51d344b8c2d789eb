import { assertNever, type HermesErrorInfo, type HermesEvent, ReasoningJoiner } from "../../protocol/index.ts";
import { DONE_FRAME, dataFrame, eventFrame } from "../sse.ts";
import { toolProgressFields } from "../tool-progress.ts";
import type { StreamEncoder } from "../types.ts";
import { chatFinishReason } from "./finish-reason.ts";
import { chatUsage } from "./usage.ts";

export interface ChatStreamOptions {
  /** `stream_options.include_usage`: a usage chunk (with empty `choices`) before `[DONE]`. */
  includeUsage: boolean;
}

/**
 * Run events → `chat.completion.chunk` frames. Chunks are written as strings around a prefix built
 * once per stream: a text delta costs one `JSON.stringify` of the delta and no objects (per chunk, in
 * every `chat-*` stream scenario of `npm run bench`).
 * Server-side tool activity (start, progress reports, end) goes out as `event: hermes.tool.progress`, never in `delta.content`:
 * frontends store content, and a model that sees tool markers in its history learns to fake them.
 * Each progress payload is also a chunk with `choices: []`, so clients that ignore event names cope.
 */
export class ChatStreamEncoder implements StreamEncoder {
  #head = "";
  /** A text delta's frame up to the delta: `data: ` and the chunk up to `"content":`. */
  #textHead = "";
  #toolIndexes = new Map<string, number>();
  #ended = false;
  #wroteText = false;
  readonly #reasoning = new ReasoningJoiner();
  readonly #options: ChatStreamOptions;

  constructor(options: ChatStreamOptions) {
    this.#options = options;
  }

  encode(event: HermesEvent): string {
    switch (event.type) {
      case "run.started":
        this.#head = `{"id":${JSON.stringify(event.runId)},"object":"chat.completion.chunk","created":${event.createdAt},"model":${JSON.stringify(event.model)},"choices":[`;
        this.#textHead = `data: ${this.#head}{"index":0,"delta":{"content":`;
        return this.#choice(`{"role":"assistant","content":""}`);
      case "text.delta":
        this.#wroteText = true;
        // The frame in one concatenation around the stringified delta: `#choice` and `dataFrame` would
        // build it in three, each a string of its own (`--alloc-sites`, `chat-burst64-50`).
        return this.#textHead + JSON.stringify(event.delta) + textTail;
      case "message.started":
        // A run's later messages (after server tools ran) join the one Chat message: keep them apart.
        return this.#wroteText ? this.#choice(`{"content":"\\n\\n"}`) : "";
      case "reasoning.delta":
        // Not in the OpenAI spec; the field DeepSeek-style clients (Open WebUI among them) render as thinking.
        return this.#choice(`{"reasoning_content":${JSON.stringify(this.#reasoning.delta(event))}}`);
      case "tool.call.started": {
        if (event.side === "server") return "";
        const index = this.#toolIndexes.size;
        this.#toolIndexes.set(event.callId, index);
        return this.#choice(
          `{"tool_calls":[{"index":${index},"id":${JSON.stringify(event.callId)},"type":"function","function":{"name":${JSON.stringify(event.name)},"arguments":""}}]}`,
        );
      }
      case "tool.call.delta": {
        const index = this.#toolIndexes.get(event.callId);
        if (index === undefined) return "";
        return this.#choice(`{"tool_calls":[{"index":${index},"function":{"arguments":${JSON.stringify(event.delta)}}}]}`);
      }
      case "tool.started":
        return this.#progress({
          tool: event.name,
          emoji: event.emoji ?? "🔧",
          label: event.label ?? toolLabel(event.name, event.arguments),
          toolCallId: event.callId,
          status: "running",
        });
      case "tool.progress":
        return this.#progress({ tool: event.name, toolCallId: event.callId, status: "running", ...toolProgressFields(event) });
      case "tool.completed":
        return this.#progress({ tool: event.name, toolCallId: event.callId, status: "completed", isError: event.isError, durationMs: event.durationMs });
      case "run.completed": {
        this.#ended = true;
        let frames = this.#choice("{}", chatFinishReason(event));
        if (this.#options.includeUsage) frames += dataFrame(`${this.#head}],"usage":${JSON.stringify(chatUsage(event.usage))}}`);
        return frames + DONE_FRAME;
      }
      case "run.failed":
        return this.abort(event.error);
      case "message.completed":
      case "reasoning.started":
      case "reasoning.completed":
      case "tool.call.completed":
      case "step.completed":
      // A hosted tool's item has no Chat Completions form; the answer it led to does.
      case "opaque.started":
      case "opaque.delta":
      case "opaque.completed":
        return "";
      default:
        return assertNever(event);
    }
  }

  /** An error frame the openai SDK raises as an APIError, then `[DONE]`: never a stream that just stops. */
  abort(error: Pick<HermesErrorInfo, "message" | "type" | "code"> & { param?: string | null }): string {
    if (this.#ended) return "";
    this.#ended = true;
    const envelope = { error: { message: error.message, type: error.type, param: error.param ?? null, code: error.code } };
    return dataFrame(JSON.stringify(envelope)) + DONE_FRAME;
  }

  /**
   * `event: hermes.tool.progress` with the original server's keys, on an object that is also a valid
   * `chat.completion.chunk` with no choices (as a usage chunk is): SDKs that read every `data:` as a
   * chunk (`openai` for Node and Python) pass it over instead of failing on `chunk.choices`.
   */
  #progress(fields: Record<string, unknown>): string {
    return eventFrame("hermes.tool.progress", `${this.#head}],${JSON.stringify(fields).slice(1)}`);
  }

  #choice(delta: string, finishReason: string | null = null): string {
    const finish = finishReason === null ? "null" : `"${finishReason}"`;
    return dataFrame(`${this.#head}{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish}}]}`);
  }
}

/** A text delta's frame after the delta. */
const textTail = `},"logprobs":null,"finish_reason":null}]}\n\n`;

/** A short human preview of a tool call for progress UIs: the tool name and the start of its arguments. */
function toolLabel(name: string, args: string): string {
  const preview = args.length > 80 ? `${args.slice(0, 77)}...` : args;
  return preview && preview !== "{}" ? `${name} ${preview}` : name;
}
