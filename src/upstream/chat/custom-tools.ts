import type { ChatCompletionMessageFunctionToolCall, ChatCompletionTool } from "openai/resources/chat/completions";
import type { HermesEvent, HostedTool, OpaqueItem } from "../../protocol/index.ts";

/**
 * Custom (freeform) tools on an API that has only functions: each `{ "type": "custom", name, format }`
 * becomes a function taking one string, `input`; the model's call of it comes back as the
 * `custom_tool_call` item the client declared the tool for (`{ call_id, name, input }`), and one in the
 * history goes back as that function call, its `custom_tool_call_output` as the tool's answer. This is
 * how a Codex user's `apply_patch` (a custom tool with a grammar) still patches files over a Chat upstream.
 */

/** A function tool as Chat Completions declares one; checked against the openai SDK's type where it is built. */
export interface ChatFunctionTool {
  type: "function";
  function: { name: string; description?: string; parameters: Record<string, unknown> };
}

/** A function call in an assistant message, as Chat Completions carries one. */
export interface ChatFunctionToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** The custom tools of a request, by name. */
export function customToolsOf(hostedTools: readonly HostedTool[] | undefined): Map<string, HostedTool> {
  const tools = new Map<string, HostedTool>();
  for (const tool of hostedTools ?? []) if (tool.type === "custom" && typeof tool.name === "string") tools.set(tool.name, tool);
  return tools;
}

/** A custom tool as a function of one string; a grammar is told to the model, since no function can enforce it. */
export function customToolAsFunction(tool: HostedTool): ChatFunctionTool {
  const format = tool.format as { type?: unknown; syntax?: unknown; definition?: unknown } | undefined;
  const grammar =
    format?.type === "grammar" && typeof format.definition === "string"
      ? ` The input must follow this ${typeof format.syntax === "string" ? format.syntax : ""} grammar:\n${format.definition}`
      : "";
  return {
    type: "function",
    function: {
      name: tool.name as string,
      ...(typeof tool.description === "string" && { description: tool.description }),
      parameters: {
        type: "object",
        properties: { input: { type: "string", description: `The tool's whole input, as free text.${grammar}` } },
        required: ["input"],
      },
    },
  } satisfies ChatCompletionTool;
}

/** A `custom_tool_call` of the history as the function call the model made. */
export function customCallAsToolCall(item: OpaqueItem): ChatFunctionToolCall {
  const { call_id: callId, name, input } = item.value;
  return {
    id: String(callId),
    type: "function",
    function: { name: String(name), arguments: JSON.stringify({ input: typeof input === "string" ? input : "" }) },
  } satisfies ChatCompletionMessageFunctionToolCall;
}

/**
 * The step's events with the calls of custom tools turned back into `custom_tool_call` items: the
 * call's start and argument deltas are held, and its end becomes the item, whole.
 */
export async function* customCalls(batches: AsyncIterable<HermesEvent[]>, custom: ReadonlyMap<string, HostedTool>): AsyncGenerator<HermesEvent[]> {
  const held = new Set<string>();
  for await (const batch of batches) {
    const out: HermesEvent[] = [];
    for (const event of batch) {
      if (event.type === "tool.call.started" && custom.has(event.name)) held.add(event.callId);
      else if (event.type === "tool.call.delta" && held.has(event.callId)) continue;
      else if (event.type === "tool.call.completed" && held.has(event.callId)) {
        const value = { type: "custom_tool_call", call_id: event.callId, name: event.name, input: inputOf(event.arguments) };
        out.push({ type: "opaque.started", itemId: event.itemId, value: { ...value, input: "" } }, { type: "opaque.completed", itemId: event.itemId, value });
      } else out.push(event);
    }
    if (out.length > 0) yield out;
  }
}

/** The `input` string of the function's arguments; arguments that are not such an object are the input themselves. */
function inputOf(args: string): string {
  try {
    const parsed = JSON.parse(args) as unknown;
    if (typeof parsed === "object" && parsed !== null && typeof (parsed as { input?: unknown }).input === "string") return (parsed as { input: string }).input;
  } catch {
    // Not JSON: the model wrote the input itself.
  }
  return args;
}
