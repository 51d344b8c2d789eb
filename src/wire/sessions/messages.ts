import { type ContentPart, type Item, readableReasoning, textOf } from "../../protocol/index.ts";

/**
 * A session's history as the original server's Sessions API shows it: chat-style messages, not
 * Responses items. An assistant message and the tool calls that follow it are one message (as a Chat
 * Completions transcript holds them); a tool result is a `tool` message naming its tool; reasoning
 * rides on the assistant message it preceded. Pure: the route adds paging.
 */
export interface SessionMessage {
  id: string;
  session_id: string;
  role: "system" | "developer" | "user" | "assistant" | "tool";
  /** Text, or chat-style parts when the message holds images; null for a tool-call-only message. */
  content: string | ChatPart[] | null;
  tool_calls?: { id: string; type: "function"; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
  tool_name?: string;
  reasoning?: string;
}

type ChatPart = { type: "text"; text: string } | { type: "image_url"; image_url: { url: string; detail?: "auto" | "low" | "high" } };

/** Items → messages, oldest first. Ids are the items' own, else their position (stable while the history only grows). */
export function sessionMessages(sessionId: string, items: readonly Item[]): SessionMessage[] {
  const messages: SessionMessage[] = [];
  const toolNames = new Map<string, string>();
  let reasoning: string | undefined;
  /** The assistant message that tool calls right after it join. */
  let openAssistant: SessionMessage | undefined;
  const push = (message: SessionMessage) => {
    if (reasoning !== undefined && message.role === "assistant") {
      message.reasoning = reasoning;
      reasoning = undefined;
    }
    messages.push(message);
  };
  for (const [index, item] of items.entries()) {
    const id = item.id ?? `item_${index}`;
    switch (item.type) {
      case "reasoning":
        reasoning = reasoning === undefined ? readableReasoning(item) : `${reasoning}\n${readableReasoning(item)}`;
        break;
      case "message": {
        const message: SessionMessage = { id, session_id: sessionId, role: item.role, content: contentOf(item.content) };
        push(message);
        openAssistant = item.role === "assistant" ? message : undefined;
        break;
      }
      case "function_call": {
        toolNames.set(item.call_id, item.name);
        const call = { id: item.call_id, type: "function" as const, function: { name: item.name, arguments: item.arguments } };
        if (openAssistant) (openAssistant.tool_calls ??= []).push(call);
        else {
          openAssistant = { id, session_id: sessionId, role: "assistant", content: null, tool_calls: [call] };
          push(openAssistant);
        }
        break;
      }
      case "function_call_output": {
        const name = toolNames.get(item.call_id);
        push({ id, session_id: sessionId, role: "tool", content: item.output, tool_call_id: item.call_id, ...(name !== undefined && { tool_name: name }) });
        openAssistant = undefined;
        break;
      }
    }
  }
  // Reasoning with no answer after it (a run cut short) is still shown.
  if (reasoning !== undefined) push({ id: `item_${items.length}`, session_id: sessionId, role: "assistant", content: "" });
  return messages;
}

function contentOf(parts: readonly ContentPart[]): string | ChatPart[] {
  if (parts.every((part) => part.type !== "input_image")) return textOf(parts);
  return parts.map((part): ChatPart =>
    part.type === "input_image"
      ? { type: "image_url", image_url: { url: part.image_url, ...(part.detail !== undefined && { detail: part.detail }) } }
      : { type: "text", text: part.text },
  );
}
