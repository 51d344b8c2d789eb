import { assertNever, type HermesErrorInfo, type HermesEvent, toolOutputId } from "../../protocol/index.ts";
import { eventFrame } from "../sse.ts";
import { toolProgressFields } from "../tool-progress.ts";
import type { StreamEncoder } from "../types.ts";
import { reasoningToWire } from "./items.ts";
import { pendingResponse, type ResponseMeta, type ResponseObject } from "./response-object.ts";

interface ReasoningState {
  summary: string[];
  /** Undefined until the first reasoning-text delta opens its content part. */
  text: string | undefined;
  closed?: Set<number>;
}

/** `namespace` on a function call item, when the client declared the function inside one. */
function namespaceOf(event: { namespace?: string | undefined }): { namespace?: string } {
  return event.namespace !== undefined ? { namespace: event.namespace } : {};
}

/** A text delta's frame up to its sequence number, and after its delta. */
const textDeltaHead = `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":`;
const textDeltaTail = `,"logprobs":[]}\n\n`;

/**
 * Run events → the Responses API's full stream event set, each with a `sequence_number` counting from 0:
 * `response.created`, `response.in_progress`, per item `output_item.added` … `output_item.done` (with
 * `content_part.*`, `output_text.*`, `reasoning_text.*`, `function_call_arguments.*` in between), and one
 * terminal event whose `response.output` is exactly the items streamed: the run's one final Response
 * object, which the caller folds from the same events and hands over as `response` (the encoder maps,
 * it does not collect).
 */
export class ResponsesStreamEncoder implements StreamEncoder {
  #sequence = 0;
  #nextIndex = 0;
  /** Output index by item id (messages, reasoning) and by call id (tool calls). */
  #indexes = new Map<string, number>();
  /** Item id of each tool call, by call id (argument deltas carry only the call id). */
  #callItems = new Map<string, string>();
  /** What each open reasoning item has streamed: its summary parts and whether its text part is open. */
  #reasoning = new Map<string, ReasoningState>();
  #ended = false;
  /** A text delta's fields before the delta, for the item whose text is streaming. */
  #textFields: { itemId: string; text: string } | undefined;
  readonly #meta: ResponseMeta;
  readonly #response: () => ResponseObject;

  /** `response` returns the run's final Response object once the run's terminal event has been folded. */
  constructor(meta: ResponseMeta, response: () => ResponseObject) {
    this.#meta = meta;
    this.#response = response;
  }

  encode(event: HermesEvent): string {
    switch (event.type) {
      case "run.started": {
        const response = pendingResponse(this.#meta, "in_progress");
        return this.#frame("response.created", { response }) + this.#frame("response.in_progress", { response });
      }
      case "message.started": {
        const index = this.#open(event.itemId);
        return (
          this.#frame("response.output_item.added", {
            output_index: index,
            item: { id: event.itemId, type: "message", status: "in_progress", role: "assistant", content: [] },
          }) +
          this.#frame("response.content_part.added", {
            item_id: event.itemId,
            output_index: index,
            content_index: 0,
            part: { type: "output_text", text: "", annotations: [], logprobs: [] },
          })
        );
      }
      case "text.delta": {
        // The hot path (per chunk in `responses-burst64-50` and `responses-paced64-10`): one stringify of
        // the delta and one concatenation around it; what comes between the sequence number and the
        // delta is the same for every delta of an item, so it is built once per item.
        let fields = this.#textFields;
        if (fields === undefined || fields.itemId !== event.itemId) {
          const text = `,"item_id":${JSON.stringify(event.itemId)},"output_index":${this.#indexes.get(event.itemId) ?? 0},"content_index":0,"delta":`;
          this.#textFields = fields = { itemId: event.itemId, text };
        }
        return textDeltaHead + this.#sequence++ + fields.text + JSON.stringify(event.delta) + textDeltaTail;
      }
      case "message.completed": {
        const index = this.#indexes.get(event.itemId) ?? 0;
        const annotations = event.annotations ?? [];
        const part = { type: "output_text", text: event.text, annotations, logprobs: [] };
        return (
          annotations
            .map((annotation, annotationIndex) =>
              this.#frame("response.output_text.annotation.added", {
                item_id: event.itemId,
                output_index: index,
                content_index: 0,
                annotation_index: annotationIndex,
                annotation,
              }),
            )
            .join("") +
          this.#frame("response.output_text.done", { item_id: event.itemId, output_index: index, content_index: 0, text: event.text, logprobs: [] }) +
          this.#frame("response.content_part.done", { item_id: event.itemId, output_index: index, content_index: 0, part }) +
          this.#frame("response.output_item.done", {
            output_index: index,
            item: { id: event.itemId, type: "message", status: "completed", role: "assistant", content: [part] },
          })
        );
      }
      case "reasoning.started": {
        const index = this.#open(event.itemId);
        this.#reasoning.set(event.itemId, { summary: [], text: undefined });
        return this.#frame("response.output_item.added", { output_index: index, item: { id: event.itemId, type: "reasoning", summary: [] } });
      }
      case "reasoning.delta":
        return this.#reasoningDelta(event.itemId, event.delta, event.summaryIndex);
      case "reasoning.completed":
        return this.#reasoningDone(event);
      case "opaque.started":
        return this.#frame("response.output_item.added", { output_index: this.#open(event.itemId), item: { ...event.value, id: event.itemId } });
      case "opaque.delta":
        // The upstream's own event about the item, renumbered into this stream.
        return this.#frame(event.event.type, { ...event.event, output_index: this.#indexes.get(event.itemId) ?? 0 });
      case "opaque.completed": {
        const index = this.#indexes.get(event.itemId) ?? this.#open(event.itemId);
        return this.#frame("response.output_item.done", { output_index: index, item: { ...event.value, id: event.itemId } });
      }
      case "tool.call.started":
        this.#callItems.set(event.callId, event.itemId);
        return this.#frame("response.output_item.added", {
          output_index: this.#open(event.callId),
          item: {
            id: event.itemId,
            type: "function_call",
            status: "in_progress",
            call_id: event.callId,
            ...namespaceOf(event),
            name: event.name,
            arguments: "",
          },
        });
      case "tool.call.delta": {
        const index = this.#indexes.get(event.callId) ?? 0;
        return this.#rawFrame(
          "response.function_call_arguments.delta",
          `"item_id":${JSON.stringify(this.#callItems.get(event.callId) ?? "")},"output_index":${index},"delta":${JSON.stringify(event.delta)}`,
        );
      }
      case "tool.call.completed": {
        const index = this.#indexes.get(event.callId) ?? this.#open(event.callId);
        const item = {
          id: event.itemId,
          type: "function_call",
          status: "completed",
          call_id: event.callId,
          ...namespaceOf(event),
          name: event.name,
          arguments: event.arguments,
        };
        return (
          this.#frame("response.function_call_arguments.done", { item_id: event.itemId, output_index: index, name: event.name, arguments: event.arguments }) +
          this.#frame("response.output_item.done", { output_index: index, item })
        );
      }
      case "tool.completed": {
        const index = this.#nextIndex++;
        const item = { id: toolOutputId(event.callId), type: "function_call_output", status: "completed", call_id: event.callId, output: event.output };
        return (
          this.#frame("response.output_item.added", { output_index: index, item }) + this.#frame("response.output_item.done", { output_index: index, item })
        );
      }
      case "run.completed": {
        this.#ended = true;
        const response = this.#response();
        return this.#frame(response.status === "incomplete" ? "response.incomplete" : "response.completed", { response });
      }
      case "run.failed":
        this.#ended = true;
        return this.#frame("response.failed", { response: this.#response() });
      case "tool.progress":
        // Not in the OpenAI spec (a client that follows it ignores an event type it does not know); named
        // as Chat's, numbered in the stream's one sequence so that no client sees a gap.
        return this.#frame("hermes.tool.progress", { call_id: event.callId, name: event.name, ...toolProgressFields(event) });
      case "tool.started":
      case "step.completed":
        return "";
      default:
        return assertNever(event);
    }
  }

  /** Ends a stream the run could not finish (shutdown, an internal failure) with `response.failed`. */
  abort(error: Pick<HermesErrorInfo, "message" | "type" | "code">): string {
    if (this.#ended) return "";
    this.#ended = true;
    // The run never reached its own terminal event, so the fold has none: the response as it stands, failed.
    const response: ResponseObject = { ...this.#response(), status: "failed", error: { code: error.code ?? error.type, message: error.message } };
    return this.#frame("response.failed", { response });
  }

  /**
   * A reasoning delta: summary parts and the reasoning text each open their part on their first delta
   * (`reasoning_summary_part.added`, `content_part.added`), so a summary is never shown as content.
   */
  #reasoningDelta(itemId: string, delta: string, summaryIndex: number | undefined): string {
    const state = this.#reasoning.get(itemId);
    const index = this.#indexes.get(itemId) ?? 0;
    const at = `"item_id":${JSON.stringify(itemId)},"output_index":${index}`;
    let frames = "";
    if (summaryIndex === undefined) {
      if (state && state.text === undefined) {
        state.text = "";
        frames += this.#frame("response.content_part.added", {
          item_id: itemId,
          output_index: index,
          content_index: 0,
          part: { type: "reasoning_text", text: "" },
        });
      }
      if (state) state.text += delta;
      return frames + this.#rawFrame("response.reasoning_text.delta", `${at},"content_index":0,"delta":${JSON.stringify(delta)}`);
    }
    if (state && state.summary[summaryIndex] === undefined) {
      // A new summary part closes the one before it.
      frames += this.#closeSummaryParts(itemId, index, state, summaryIndex);
      state.summary[summaryIndex] = "";
      frames += this.#frame("response.reasoning_summary_part.added", {
        item_id: itemId,
        output_index: index,
        summary_index: summaryIndex,
        part: { type: "summary_text", text: "" },
      });
    }
    if (state) state.summary[summaryIndex] += delta;
    return frames + this.#rawFrame("response.reasoning_summary_text.delta", `${at},"summary_index":${summaryIndex},"delta":${JSON.stringify(delta)}`);
  }

  #reasoningDone(event: Extract<HermesEvent, { type: "reasoning.completed" }>): string {
    const index = this.#indexes.get(event.itemId) ?? 0;
    const state = this.#reasoning.get(event.itemId) ?? { summary: [], text: undefined };
    this.#reasoning.delete(event.itemId);
    let frames = this.#closeSummaryParts(event.itemId, index, state, Number.POSITIVE_INFINITY);
    if (state.text !== undefined) {
      const part = { type: "reasoning_text", text: event.text };
      frames +=
        this.#frame("response.reasoning_text.done", { item_id: event.itemId, output_index: index, content_index: 0, text: event.text }) +
        this.#frame("response.content_part.done", { item_id: event.itemId, output_index: index, content_index: 0, part });
    }
    const { id: _id, ...item } = reasoningToWire({ text: event.text, summary: event.summary, encryptedContent: event.encryptedContent });
    return frames + this.#frame("response.output_item.done", { output_index: index, item: { id: event.itemId, ...item } });
  }

  /** `.done` events for the summary parts still open below `before`. */
  #closeSummaryParts(itemId: string, index: number, state: ReasoningState, before: number): string {
    let frames = "";
    state.summary.forEach((text, summaryIndex) => {
      if (summaryIndex >= before || state.closed?.has(summaryIndex)) return;
      (state.closed ??= new Set()).add(summaryIndex);
      frames +=
        this.#frame("response.reasoning_summary_text.done", { item_id: itemId, output_index: index, summary_index: summaryIndex, text }) +
        this.#frame("response.reasoning_summary_part.done", {
          item_id: itemId,
          output_index: index,
          summary_index: summaryIndex,
          part: { type: "summary_text", text },
        });
    });
    return frames;
  }

  #open(key: string): number {
    const index = this.#nextIndex++;
    this.#indexes.set(key, index);
    return index;
  }

  #frame(type: string, payload: Record<string, unknown>): string {
    return eventFrame(type, JSON.stringify({ type, sequence_number: this.#sequence++, ...payload }));
  }

  #rawFrame(type: string, fields: string): string {
    return eventFrame(type, `{"type":"${type}","sequence_number":${this.#sequence++},${fields}}`);
  }
}
