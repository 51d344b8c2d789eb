import type { ContentPart, Item } from "../../protocol/index.ts";
import type { NewId } from "../../utils/index.ts";
import type { OutputItem } from "../../protocol/index.ts";
import type { InputItem, InputMessage } from "./schema.ts";

/** An input item that points at an item of an earlier turn; the route resolves it against the history. */
export interface ItemReference {
  type: "item_reference";
  id: string;
}

/** Responses input items → protocol items (references kept for the route to resolve). Ids are kept or made. */
export function inputToItems(input: readonly InputItem[], newId: NewId): (Item | ItemReference)[] {
  return input.map((entry): Item | ItemReference => {
    if (!("type" in entry) || entry.type === undefined || entry.type === "message") return messageToItem(entry as InputMessage, newId);
    switch (entry.type) {
      case "function_call":
        return { type: "function_call", id: entry.id ?? newId("fc_"), call_id: entry.call_id, name: entry.name, arguments: entry.arguments };
      case "function_call_output":
        return {
          type: "function_call_output",
          id: entry.id ?? newId("fco_"),
          call_id: entry.call_id,
          output: typeof entry.output === "string" ? entry.output : entry.output.map((part) => part.text).join(""),
        };
      case "reasoning":
        return {
          type: "reasoning",
          id: entry.id ?? newId("rs_"),
          text: (entry.content ?? []).map((part) => part.text).join("") || (entry.summary ?? []).map((part) => part.text).join("\n"),
        };
      case "item_reference":
        return { type: "item_reference", id: entry.id };
    }
  });
}

export function messageToItem(message: InputMessage, newId: NewId): Item {
  const content: ContentPart[] = [];
  const textType = message.role === "assistant" ? "output_text" : "input_text";
  if (typeof message.content === "string") content.push({ type: textType, text: message.content });
  else
    for (const part of message.content) {
      if (part.type === "input_text" || part.type === "output_text") content.push({ type: part.type, text: part.text });
      else if (part.type === "refusal") content.push({ type: "output_text", text: part.refusal });
      else if (part.type === "input_image")
        content.push({ type: "input_image", image_url: part.image_url, ...(part.detail && { detail: part.detail }) });
    }
  return { type: "message", id: message.id ?? newId("msg_"), role: message.role, content };
}

/** A protocol item as the Responses API shows it in `input_items` and in stored outputs. */
export function itemToWire(item: Item) {
  switch (item.type) {
    case "message":
      return {
        type: "message" as const,
        id: item.id,
        role: item.role,
        status: "completed" as const,
        content: item.content.map((part) =>
          part.type === "input_image"
            ? { type: "input_image" as const, image_url: part.image_url, detail: part.detail ?? "auto" }
            : part.type === "output_text"
              ? { type: "output_text" as const, text: part.text, annotations: [], logprobs: [] }
              : { type: "input_text" as const, text: part.text },
        ),
      };
    case "function_call":
      return { type: "function_call" as const, id: item.id, call_id: item.call_id, name: item.name, arguments: item.arguments, status: "completed" as const };
    case "function_call_output":
      return { type: "function_call_output" as const, id: item.id, call_id: item.call_id, output: item.output, status: "completed" as const };
    case "reasoning":
      return { type: "reasoning" as const, id: item.id, summary: [], content: [{ type: "reasoning_text" as const, text: item.text }] };
  }
}

export type WireItem = ReturnType<typeof itemToWire>;

/** A run's output as Responses output items (tool calls a server plugin ran appear with their outputs). */
export function outputToWire(output: readonly OutputItem[]): WireItem[] {
  return output.map((item) => itemToWire(item.type === "function_call" ? { type: "function_call", id: item.id, call_id: item.call_id, name: item.name, arguments: item.arguments } : item));
}

/** Responses output items back to protocol items: for storage and for the next turn of a chain. */
export function outputToItems(output: readonly WireItem[]): Item[] {
  return output.map((wire): Item => {
    switch (wire.type) {
      case "message":
        return {
          type: "message",
          id: wire.id,
          role: wire.role,
          content: wire.content.map((part): ContentPart => (part.type === "input_image" ? { type: "input_image", image_url: part.image_url, detail: part.detail } : { type: part.type, text: part.text })),
        };
      case "function_call":
        return { type: "function_call", id: wire.id, call_id: wire.call_id, name: wire.name, arguments: wire.arguments };
      case "function_call_output":
        return { type: "function_call_output", id: wire.id, call_id: wire.call_id, output: wire.output };
      case "reasoning":
        return { type: "reasoning", id: wire.id, text: wire.content.map((part) => part.text).join("") };
    }
  });
}
