import type {
  ChatCompletionContentPart,
  ChatCompletionCreateParamsBase,
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionMessageParam,
  ChatCompletionTool,
  ChatCompletionToolChoiceOption,
} from "openai/resources/chat/completions";
import { textOf } from "../../protocol/index.ts";
import { customCallAsToolCall, customToolAsFunction, customToolsOf } from "./custom-tools.ts";
import type { ContentPart, MessageItem, RunInput, TextFormat, ToolChoice } from "../../protocol/index.ts";

/**
 * The body sent to `POST /chat/completions`. It is built as the openai SDK's request type, so the
 * compiler checks every field against the SDK; the SDK is a devDependency (types only, nothing at run
 * time), so what this module declares to the outside names no openai type and the published
 * declarations need no openai installed.
 */
export interface ChatRequestBody {
  model: string;
  messages: readonly object[];
}

export interface EncodeChatRequestOptions {
  /** `false` for the non-stream fallback. @default true */
  stream?: boolean;
}

/**
 * Builds the Chat Completions request for one agent step. Pure. Optional settings are left out when
 * unset rather than sent as `null`: many OpenAI-compatible servers reject fields they do not know.
 */
export function encodeChatRequest(input: RunInput, options: EncodeChatRequestOptions = {}): ChatRequestBody {
  const body: ChatCompletionCreateParamsBase = { model: input.model, messages: chatMessages(input) };
  if (options.stream !== false) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  // `tool_choice` and `parallel_tool_calls` without `tools` is a 400 at OpenAI.
  const custom = [...customToolsOf(input.hostedTools).values()];
  if (input.tools.length + custom.length > 0) {
    body.tools = input.tools.map((tool): ChatCompletionTool => ({
      type: "function",
      function: {
        name: tool.name,
        ...(tool.description !== undefined && { description: tool.description }),
        ...(tool.parameters !== undefined && { parameters: tool.parameters }),
        ...(tool.strict !== undefined && { strict: tool.strict }),
      },
    }));
    // Custom tools as functions of one string (`custom-tools.ts`); other hosted tools have no chat form.
    body.tools.push(...custom.map(customToolAsFunction));
    if (input.toolChoice !== undefined) body.tool_choice = encodeToolChoice(input.toolChoice);
    if (input.parallelToolCalls !== undefined) body.parallel_tool_calls = input.parallelToolCalls;
  }
  if (input.temperature !== undefined) body.temperature = input.temperature;
  if (input.topP !== undefined) body.top_p = input.topP;
  if (input.maxOutputTokens !== undefined) body.max_completion_tokens = input.maxOutputTokens;
  if (input.stop !== undefined && input.stop.length > 0) body.stop = input.stop;
  if (input.seed !== undefined) body.seed = input.seed;
  if (input.frequencyPenalty !== undefined) body.frequency_penalty = input.frequencyPenalty;
  if (input.presencePenalty !== undefined) body.presence_penalty = input.presencePenalty;
  if (input.textFormat !== undefined && input.textFormat.type !== "text") {
    body.response_format = encodeTextFormat(input.textFormat);
  }
  if (input.reasoningEffort !== undefined) body.reasoning_effort = input.reasoningEffort;
  if (input.user !== undefined) body.user = input.user;
  if (input.metadata !== undefined) body.metadata = input.metadata;
  // The fields the client's codec forwards to chat upstreams (`prompt_cache_key`, `verbosity`, …); ours win.
  return input.extras?.chat ? ({ ...input.extras.chat, ...body } as ChatRequestBody) : body;
}

/** An assistant message as sent: `reasoning_content` is the DeepSeek / vLLM field for the reasoning that led to it. */
type AssistantMessage = { role: "assistant"; content?: string | null; tool_calls?: ChatCompletionMessageFunctionToolCall[]; reasoning_content?: string };

/**
 * Items to chat messages. A run of function calls becomes one assistant message with `tool_calls`,
 * merged into the assistant text just before it: that is how a chat turn with text and calls looks,
 * and some chat templates reject two assistant messages in a row. A reasoning item goes as
 * `reasoning_content` on the assistant message that follows it (text or tool calls): DeepSeek's thinking
 * mode requires it back on a tool-call message, and servers that do not know the field ignore it. Opaque
 * items (a hosted tool's call) have no chat form and are left out.
 */
export function encodeMessages(input: Pick<RunInput, "instructions" | "items">): ChatRequestBody["messages"] {
  return chatMessages(input);
}

function chatMessages(input: Pick<RunInput, "instructions" | "items">): ChatCompletionMessageParam[] {
  const messages: ChatCompletionMessageParam[] = [];
  if (input.instructions) messages.push({ role: "system", content: input.instructions });
  // The assistant message that function calls may still join.
  let assistant: AssistantMessage | undefined;
  /** The reasoning that waits for the assistant message it led to. */
  let reasoning: string | undefined;
  const openAssistant = (content: string | null): AssistantMessage => {
    const message: AssistantMessage = { role: "assistant", content };
    if (reasoning !== undefined) message.reasoning_content = reasoning;
    reasoning = undefined;
    messages.push(message as ChatCompletionMessageParam);
    return message;
  };
  for (const item of input.items) {
    switch (item.type) {
      case "message":
        if (item.role === "assistant") {
          assistant = openAssistant(textOf(item.content));
        } else {
          assistant = undefined;
          reasoning = undefined;
          messages.push(encodeMessage(item));
        }
        break;
      case "function_call": {
        if (assistant === undefined) assistant = openAssistant(null);
        const call: ChatCompletionMessageFunctionToolCall = {
          id: item.call_id,
          type: "function",
          function: { name: item.name, arguments: item.arguments },
        };
        if (assistant.tool_calls) assistant.tool_calls.push(call);
        else assistant.tool_calls = [call];
        // OpenAI wants `null`, not "", beside tool calls.
        if (assistant.content === "") assistant.content = null;
        break;
      }
      case "function_call_output":
        assistant = undefined;
        messages.push({ role: "tool", tool_call_id: item.call_id, content: item.output });
        break;
      case "reasoning": {
        // Its own text, else its summary: what a chat model can read of it.
        const text = item.text || (item.summary ?? []).join("\n\n");
        if (text === "") break;
        // Within one assistant turn (reasoning between its text and its calls) it joins that message.
        if (assistant !== undefined)
          assistant.reasoning_content = assistant.reasoning_content === undefined ? text : `${assistant.reasoning_content}\n\n${text}`;
        else reasoning = reasoning === undefined ? text : `${reasoning}\n\n${text}`;
        break;
      }
      case "opaque":
        // A custom tool's call and output have a chat form; a hosted tool's item has none.
        if (item.value.type === "custom_tool_call") {
          assistant ??= openAssistant(null);
          (assistant.tool_calls ??= []).push(customCallAsToolCall(item));
          if (assistant.content === "") assistant.content = null;
        } else if (item.value.type === "custom_tool_call_output" && typeof item.value.call_id === "string") {
          assistant = undefined;
          messages.push({ role: "tool", tool_call_id: item.value.call_id, content: outputText(item.value.output) });
        }
        break;
      default:
        assertNeverItem(item);
    }
  }
  return messages;
}

function encodeMessage(item: MessageItem): ChatCompletionMessageParam {
  // `developer` is OpenAI-only; every chat server knows `system`, and OpenAI treats them alike.
  if (item.role === "system" || item.role === "developer") return { role: "system", content: textOf(item.content) };
  return { role: "user", content: encodeUserContent(item.content) };
}

/** A plain string when the message is text only (what every server accepts), else content parts. */
function encodeUserContent(parts: readonly ContentPart[]): string | ChatCompletionContentPart[] {
  if (!parts.some((part) => part.type === "input_image")) return textOf(parts);
  return parts.map((part): ChatCompletionContentPart =>
    part.type === "input_image"
      ? { type: "image_url", image_url: { url: part.image_url, ...(part.detail !== undefined && { detail: part.detail }) } }
      : { type: "text", text: part.text },
  );
}

function encodeToolChoice(choice: ToolChoice): ChatCompletionToolChoiceOption {
  return typeof choice === "string" ? choice : { type: "function", function: { name: choice.name } };
}

function encodeTextFormat(format: Exclude<TextFormat, { type: "text" }>): NonNullable<ChatCompletionCreateParamsBase["response_format"]> {
  if (format.type === "json_object") return { type: "json_object" };
  return {
    type: "json_schema",
    json_schema: {
      name: format.name,
      schema: format.schema,
      ...(format.description !== undefined && { description: format.description }),
      ...(format.strict !== undefined && { strict: format.strict }),
    },
  };
}

/** A custom tool's output: a string, or content parts whose text is joined. */
function outputText(output: unknown): string {
  if (typeof output === "string") return output;
  if (!Array.isArray(output)) return "";
  return output.map((part: { text?: unknown }) => (typeof part?.text === "string" ? part.text : "")).join("");
}

function assertNeverItem(item: never): never {
  throw new Error(`unhandled item: ${JSON.stringify(item)}`);
}
