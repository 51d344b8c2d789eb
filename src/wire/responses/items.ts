import type { ContentPart, Item, OpaqueItem } from "../../protocol/index.ts";
import type { NewId } from "../../utils/index.ts";
import type { OutputItem } from "../../protocol/index.ts";
import type { InputItem, InputMessage, ReadInputItem } from "./schema.ts";

/** An input item that points at an item of an earlier turn; the route resolves it against the history. */
export interface ItemReference {
  type: "item_reference";
  id: string;
}

/** Responses input items → protocol items (references kept for the route to resolve). Ids are kept or made. */
export function inputToItems(input: readonly InputItem[], newId: NewId): (Item | ItemReference)[] {
  return input.map((given): Item | ItemReference => {
    if (!("type" in given) || given.type === undefined || given.type === "message") return messageToItem(given as InputMessage, newId);
    if (!readTypes.has(given.type) && given.type !== "item_reference") {
      // Its id is the upstream's, sent back as it is: one made here would be looked up there and not found.
      const { id, ...value } = given as OpaqueWireItem;
      return { type: "opaque", ...(id !== undefined && { id }), value: value as OpaqueItem["value"] };
    }
    const entry = given as ReadInputItem;
    switch (entry.type) {
      case "function_call":
        return {
          type: "function_call",
          id: entry.id ?? newId("fc_"),
          call_id: entry.call_id,
          ...(entry.namespace !== undefined && { namespace: entry.namespace }),
          name: entry.name,
          arguments: entry.arguments,
        };
      case "function_call_output":
        return {
          type: "function_call_output",
          id: entry.id ?? newId("fco_"),
          call_id: entry.call_id,
          output: typeof entry.output === "string" ? entry.output : entry.output.map((part) => part.text).join(""),
        };
      case "reasoning": {
        const item: Item = { type: "reasoning", id: entry.id ?? newId("rs_"), text: (entry.content ?? []).map((part) => part.text).join("") };
        if (entry.summary && entry.summary.length > 0) item.summary = entry.summary.map((part) => part.text);
        if (typeof entry.encrypted_content === "string") item.encryptedContent = entry.encrypted_content;
        return item;
      }
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
      else if (part.type === "input_image") content.push({ type: "input_image", image_url: part.image_url, ...(part.detail && { detail: part.detail }) });
    }
  return { type: "message", id: message.id ?? newId("msg_"), role: message.role, content };
}

/** A protocol item as the Responses API shows it in `input_items` and in stored outputs. */
export function itemToWire(item: Item): WireItem {
  return item.type === "opaque" ? { ...item.value, ...(item.id !== undefined && { id: item.id }) } : knownItemToWire(item);
}

function knownItemToWire(item: Exclude<Item, OpaqueItem>) {
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
              ? { type: "output_text" as const, text: part.text, annotations: part.annotations ?? [], logprobs: [] }
              : { type: "input_text" as const, text: part.text },
        ),
      };
    case "function_call":
      return {
        type: "function_call" as const,
        id: item.id,
        call_id: item.call_id,
        ...(item.namespace !== undefined && { namespace: item.namespace }),
        name: item.name,
        arguments: item.arguments,
        status: "completed" as const,
      };
    case "function_call_output":
      return { type: "function_call_output" as const, id: item.id, call_id: item.call_id, output: item.output, status: "completed" as const };
    case "reasoning":
      return reasoningToWire(item);
  }
}

/** A reasoning item as the API shows it: the summary as `summary_text` parts, the reasoning itself (if any) as `reasoning_text`. */
export function reasoningToWire(item: { id?: string | undefined; text: string; summary?: string[] | undefined; encryptedContent?: string | undefined }) {
  return {
    type: "reasoning" as const,
    id: item.id,
    summary: (item.summary ?? []).map((text) => ({ type: "summary_text" as const, text })),
    ...(item.text !== "" && { content: [{ type: "reasoning_text" as const, text: item.text }] }),
    ...(item.encryptedContent !== undefined && { encrypted_content: item.encryptedContent }),
  };
}

/** An item of a type the proxy carries without reading (see `OpaqueItem`). */
export type OpaqueWireItem = { type: string; id?: string; [key: string]: unknown };

type KnownWireItem = ReturnType<typeof knownItemToWire>;
export type WireItem = KnownWireItem | OpaqueWireItem;

/** The item types this codec reads; any other is carried as it is. */
const readTypes: ReadonlySet<string> = new Set(["message", "function_call", "function_call_output", "reasoning"]);

/** A run's output as Responses output items (tool calls a server plugin ran appear with their outputs). */
export function outputToWire(output: readonly OutputItem[]): WireItem[] {
  return outputToProtocol(output).map(itemToWire);
}

/** Responses output items back to protocol items: for storage and for the next turn of a chain. */
export function outputToItems(output: readonly WireItem[]): Item[] {
  return output.map((wire): Item => {
    if (!readTypes.has(wire.type)) {
      const { id, ...value } = wire as OpaqueWireItem;
      return { type: "opaque", ...(id !== undefined && { id }), value: value as OpaqueItem["value"] };
    }
    const known = wire as KnownWireItem;
    switch (known.type) {
      case "message":
        return {
          type: "message",
          id: known.id,
          role: known.role,
          content: known.content.map((part): ContentPart => {
            if (part.type === "input_image") return { type: "input_image", image_url: part.image_url, detail: part.detail };
            const annotations = ("annotations" in part ? part.annotations : undefined) ?? [];
            return annotations.length > 0 ? { type: part.type, text: part.text, annotations } : { type: part.type, text: part.text };
          }),
        };
      case "function_call":
        return {
          type: "function_call",
          id: known.id,
          call_id: known.call_id,
          ...("namespace" in known && known.namespace !== undefined && { namespace: known.namespace }),
          name: known.name,
          arguments: known.arguments,
        };
      case "function_call_output":
        return { type: "function_call_output", id: known.id, call_id: known.call_id, output: known.output };
      case "reasoning": {
        const item: Item = { type: "reasoning", text: (("content" in known && known.content) || []).map((part) => part.text).join("") };
        if (known.id !== undefined) item.id = known.id;
        if (known.summary.length > 0) item.summary = known.summary.map((part) => part.text);
        if ("encrypted_content" in known && known.encrypted_content !== undefined) item.encryptedContent = known.encrypted_content;
        return item;
      }
    }
  });
}

/** Output items as plain protocol items (the `side` of a tool call is the run's business, not the client's). */
function outputToProtocol(output: readonly OutputItem[]): Item[] {
  return output.map((item): Item => {
    if (item.type !== "function_call") return item;
    const { side: _side, ...call } = item;
    return call;
  });
}
