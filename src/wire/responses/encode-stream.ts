import { assertNever, type HermesErrorInfo, type HermesEvent, toolOutputId } from "../../protocol/index.ts";
import { eventFrame } from "../sse.ts";
import { toolProgressFields } from "../tool-progress.ts";
import type { StreamEncoder } from "../types.ts";
import { pendingResponse, type ResponseMeta, type ResponseObject } from "./response-object.ts";

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
  #ended = false;
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
      case "text.delta":
        // The hot path: one stringify of the delta, no objects (per chunk in `responses-burst64-50` and `responses-paced64-10`).
        return this.#rawFrame(
          "response.output_text.delta",
          `"item_id":${JSON.stringify(event.itemId)},"output_index":${this.#indexes.get(event.itemId) ?? 0},"content_index":0,"delta":${JSON.stringify(event.delta)},"logprobs":[]`,
        );
      case "message.completed": {
        const index = this.#indexes.get(event.itemId) ?? 0;
        const part = { type: "output_text", text: event.text, annotations: [], logprobs: [] };
        return (
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
        return (
          this.#frame("response.output_item.added", { output_index: index, item: { id: event.itemId, type: "reasoning", summary: [], content: [] } }) +
          this.#frame("response.content_part.added", {
            item_id: event.itemId,
            output_index: index,
            content_index: 0,
            part: { type: "reasoning_text", text: "" },
          })
        );
      }
      case "reasoning.delta":
        return this.#rawFrame(
          "response.reasoning_text.delta",
          `"item_id":${JSON.stringify(event.itemId)},"output_index":${this.#indexes.get(event.itemId) ?? 0},"content_index":0,"delta":${JSON.stringify(event.delta)}`,
        );
      case "reasoning.completed": {
        const index = this.#indexes.get(event.itemId) ?? 0;
        const part = { type: "reasoning_text", text: event.text };
        return (
          this.#frame("response.reasoning_text.done", { item_id: event.itemId, output_index: index, content_index: 0, text: event.text }) +
          this.#frame("response.content_part.done", { item_id: event.itemId, output_index: index, content_index: 0, part }) +
          this.#frame("response.output_item.done", { output_index: index, item: { id: event.itemId, type: "reasoning", summary: [], content: [part] } })
        );
      }
      case "tool.call.started":
        this.#callItems.set(event.callId, event.itemId);
        return this.#frame("response.output_item.added", {
          output_index: this.#open(event.callId),
          item: { id: event.itemId, type: "function_call", status: "in_progress", call_id: event.callId, name: event.name, arguments: "" },
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
        const item = { id: event.itemId, type: "function_call", status: "completed", call_id: event.callId, name: event.name, arguments: event.arguments };
        return (
          this.#frame("response.function_call_arguments.done", { item_id: event.itemId, output_index: index, name: event.name, arguments: event.arguments }) +
          this.#frame("response.output_item.done", { output_index: index, item })
        );
      }
      case "tool.completed": {
        const index = this.#nextIndex++;
        const item = { id: toolOutputId(event.callId), type: "function_call_output", status: "completed", call_id: event.callId, output: event.output };
        return this.#frame("response.output_item.added", { output_index: index, item }) + this.#frame("response.output_item.done", { output_index: index, item });
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
