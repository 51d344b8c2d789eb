import { textOf } from "../../protocol/index.ts";
import type { ContentPart, FunctionTool, HostedTool, Item, MessageItem, ReasoningItem, RunInput, TextFormat } from "../../protocol/index.ts";

/**
 * Builds the Responses API request (`POST {baseURL}/responses`) for one agent step. Pure.
 *
 * Always `store: false`, and always the whole history in `input`: the proxy's own state (stored
 * responses, conversations, sessions) is authoritative, so nothing is kept upstream and
 * `previous_response_id` is never sent. Every step of every run stands alone: a retry, another proxy
 * process, or a different upstream behind the same config sees the same request.
 *
 * What is left out, and why:
 * - item `id`s: with `store: false` OpenAI looks an item id up among stored items and answers 400
 *   "Item with id … not found"; ours were never stored there. Two kinds keep theirs, being the
 *   upstream's own: reasoning items with their `encrypted_content`, and opaque items (below).
 * - reasoning items without `encrypted_content`: an upstream running with `store: false` accepts one
 *   back only with the blob it produced (the client asks for it with
 *   `include: ["reasoning.encrypted_content"]`), and one sent under an id it never stored is rejected.
 *   Those are dropped; the model reasons afresh, which is what a stateless client of OpenAI gets too.
 *
 * What goes as it came: opaque items (a hosted tool's call such as `web_search_call`, a
 * `custom_tool_call` and its output, types we do not know), hosted tools, and the request fields the
 * client's codec forwards (`input.extras.responses`: `include`, `reasoning.summary`, `prompt_cache_key`, …).
 * - `stop`, `seed`, `frequency_penalty`, `presence_penalty`: the Responses API has no such fields and
 *   OpenAI answers 400 to unknown ones.
 *
 * Optional settings are left out when unset rather than sent as `null`, as for the chat upstream.
 */

/** A message in `input`: parts for user, system and developer text and images; a string for assistant text. */
export type ResponsesInputMessage =
  | { type: "message"; role: "user" | "system" | "developer"; content: ResponsesInputPart[] }
  | { type: "message"; role: "assistant"; content: string };

export type ResponsesInputPart = { type: "input_text"; text: string } | { type: "input_image"; image_url: string; detail: "auto" | "low" | "high" };

export type ResponsesInputItem =
  | ResponsesInputMessage
  | { type: "function_call"; call_id: string; name: string; arguments: string }
  | { type: "function_call_output"; call_id: string; output: string }
  | ReturnType<typeof encodeReasoning>
  | { type: string; [key: string]: unknown };

export interface ResponsesFunctionTool {
  type: "function";
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
  strict: boolean;
}

export type ResponsesTextFormat =
  | { type: "json_object" }
  | { type: "json_schema"; name: string; schema: Record<string, unknown>; description?: string; strict?: boolean };

/** The body sent to `POST /responses`: the fields we set, nothing more. */
export interface ResponsesRequestBody {
  model: string;
  instructions?: string;
  input: ResponsesInputItem[];
  tools?: (ResponsesFunctionTool | HostedTool)[];
  tool_choice?: "auto" | "none" | "required" | { type: "function"; name: string };
  parallel_tool_calls?: boolean;
  temperature?: number;
  top_p?: number;
  max_output_tokens?: number;
  text?: { format: ResponsesTextFormat };
  reasoning?: { effort: NonNullable<RunInput["reasoningEffort"]> };
  user?: string;
  metadata?: Record<string, string>;
  stream: boolean;
  store: false;
}

export interface EncodeResponsesRequestOptions {
  /** `false` for a non-stream call. @default true */
  stream?: boolean;
}

/** OpenAI rejects a smaller `max_output_tokens` with a 400; a chat client's `max_tokens: 1` probe must still work. */
const minOutputTokens = 16;

/** The schema of a function that takes no arguments, for tools declared without one. */
const noParameters = { type: "object", properties: {} };

/**
 * The request body for one step: streamed, `store: false`, the whole history in `input`.
 *
 * @example
 * const body = encodeResponsesRequest({ model: "gpt-5", items, tools: [] });
 * // { model: "gpt-5", input: [...], stream: true, store: false }
 */
export function encodeResponsesRequest(input: RunInput, options: EncodeResponsesRequestOptions = {}): ResponsesRequestBody {
  const body: ResponsesRequestBody = { model: input.model, input: encodeInput(input.items), stream: options.stream !== false, store: false };
  if (input.instructions) body.instructions = input.instructions;
  // `tool_choice` and `parallel_tool_calls` without `tools` mean nothing, and strict servers reject them.
  const hosted = input.hostedTools ?? [];
  if (input.tools.length + hosted.length > 0) {
    body.tools = [...input.tools.map(encodeTool), ...hosted];
    if (input.toolChoice !== undefined) body.tool_choice = input.toolChoice;
    if (input.parallelToolCalls !== undefined) body.parallel_tool_calls = input.parallelToolCalls;
  }
  if (input.temperature !== undefined) body.temperature = input.temperature;
  if (input.topP !== undefined) body.top_p = input.topP;
  if (input.maxOutputTokens !== undefined) body.max_output_tokens = Math.max(minOutputTokens, input.maxOutputTokens);
  if (input.textFormat !== undefined && input.textFormat.type !== "text") body.text = { format: encodeTextFormat(input.textFormat) };
  if (input.reasoningEffort !== undefined) body.reasoning = { effort: input.reasoningEffort };
  if (input.user !== undefined) body.user = input.user;
  if (input.metadata !== undefined) body.metadata = input.metadata;
  return input.extras?.responses ? withExtras(body, input.extras.responses) : body;
}

/**
 * The forwarded fields under ours: ours win on a clash, and an object both have is merged one level
 * deep (`reasoning: { summary }` from the client beside our `reasoning: { effort }`).
 */
function withExtras(body: ResponsesRequestBody, extras: Readonly<Record<string, unknown>>): ResponsesRequestBody {
  const merged: Record<string, unknown> = { ...extras };
  for (const [key, value] of Object.entries(body)) {
    const extra = extras[key];
    merged[key] = isPlainObject(extra) && isPlainObject(value) ? { ...extra, ...value } : value;
  }
  return merged as unknown as ResponsesRequestBody;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A reasoning item sent back with the upstream's own id and blob, its summary, and its text if any. */
function encodeReasoning(item: ReasoningItem & { encryptedContent: string }) {
  return {
    type: "reasoning" as const,
    ...(item.id !== undefined && { id: item.id }),
    summary: (item.summary ?? []).map((text) => ({ type: "summary_text" as const, text })),
    ...(item.text !== "" && { content: [{ type: "reasoning_text" as const, text: item.text }] }),
    encrypted_content: item.encryptedContent,
  };
}

/** History items to `input` items, oldest first; see the file comment for what is dropped. */
export function encodeInput(items: readonly Item[]): ResponsesInputItem[] {
  const input: ResponsesInputItem[] = [];
  for (const item of items) {
    switch (item.type) {
      case "message": {
        const message = encodeMessage(item);
        if (message !== undefined) input.push(message);
        break;
      }
      case "function_call":
        input.push({ type: "function_call", call_id: item.call_id, name: item.name, arguments: item.arguments });
        break;
      case "function_call_output":
        input.push({ type: "function_call_output", call_id: item.call_id, output: item.output });
        break;
      case "reasoning":
        if (item.encryptedContent !== undefined) input.push(encodeReasoning({ ...item, encryptedContent: item.encryptedContent }));
        break;
      case "opaque":
        input.push({ ...item.value, ...(item.id !== undefined && { id: item.id }) });
        break;
      default:
        assertNeverItem(item);
    }
  }
  return input;
}

/**
 * Assistant text goes as a plain string: OpenAI reads it as the model's earlier output, and it is the
 * one assistant form every Responses server accepts. `output_text` parts are valid at OpenAI only, as
 * other servers (vLLM) validate them as stored output messages, which need the `id` and `status` we
 * cannot send. An assistant message without text says nothing and is left out. Images are kept for
 * user messages only, where the API takes them.
 */
function encodeMessage(item: MessageItem): ResponsesInputMessage | undefined {
  if (item.role === "assistant") {
    const text = textOf(item.content);
    return text === "" ? undefined : { type: "message", role: "assistant", content: text };
  }
  return { type: "message", role: item.role, content: encodeParts(item.content, item.role === "user") };
}

function encodeParts(parts: readonly ContentPart[], images: boolean): ResponsesInputPart[] {
  const encoded: ResponsesInputPart[] = [];
  for (const part of parts) {
    if (part.type !== "input_image") encoded.push({ type: "input_text", text: part.text });
    // The spec makes `detail` required on input images.
    else if (images) encoded.push({ type: "input_image", image_url: part.image_url, detail: part.detail ?? "auto" });
  }
  return encoded;
}

/**
 * `strict` is sent even when unset: left out, the Responses API normalises the schema into strict mode
 * (every property required, no others allowed), while Chat Completions stays non-strict. `false` keeps
 * one meaning whichever upstream serves the request. `parameters` is required by the spec.
 */
function encodeTool(tool: FunctionTool): ResponsesFunctionTool {
  return {
    type: "function",
    name: tool.name,
    ...(tool.description !== undefined && { description: tool.description }),
    parameters: tool.parameters ?? noParameters,
    strict: tool.strict ?? false,
  };
}

function encodeTextFormat(format: Exclude<TextFormat, { type: "text" }>): ResponsesTextFormat {
  if (format.type === "json_object") return { type: "json_object" };
  return {
    type: "json_schema",
    name: format.name,
    schema: format.schema,
    ...(format.description !== undefined && { description: format.description }),
    ...(format.strict !== undefined && { strict: format.strict }),
  };
}

function assertNeverItem(item: never): never {
  throw new Error(`unhandled item: ${JSON.stringify(item)}`);
}
