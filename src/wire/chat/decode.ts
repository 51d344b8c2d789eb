import { type ContentPart, HermesError, type Item, type TextFormat } from "../../protocol/index.ts";
import type { DecodedRequest } from "../types.ts";
import { toRequestError } from "../zod-error.ts";
import { routeChatFields } from "./fields.ts";
import { type ChatMessage, type ChatRequest, chatRequestSchema } from "./schema.ts";

export interface DecodedChatRequest extends DecodedRequest {
  /** `stream_options.include_usage`: a usage chunk before `[DONE]`. */
  includeUsage: boolean;
}

/**
 * Decodes a Chat Completions request body; a bad one throws a 400 HermesError naming the field.
 * `chatRequestSchema` is the only judge: plain `safeParse` costs about 2 µs on a short conversation
 * (`bench/parse-cost.ts`), lost in the noise of a request.
 */
export function decodeChatRequest(body: unknown): DecodedChatRequest {
  const parsed = chatRequestSchema.safeParse(body);
  if (!parsed.success) throw toRequestError(parsed.error);
  const request = parsed.data;
  // Instructions alone ask nothing: the original server's 400, not an answer to no one.
  if (request.messages.every((message) => message.role === "system" || message.role === "developer"))
    throw new HermesError("No user message found in messages", { status: 400, code: "missing_user_message", param: "messages" });
  const input: DecodedRequest["input"] = {
    items: messagesToItems(request.messages),
    tools: (request.tools ?? []).map(({ function: fn }) => ({
      name: fn.name,
      ...(fn.description !== undefined && { description: fn.description }),
      ...(fn.parameters !== undefined && { parameters: fn.parameters }),
      ...(fn.strict != null && { strict: fn.strict }),
    })),
  };
  if (request.tool_choice != null)
    input.toolChoice = typeof request.tool_choice === "string" ? request.tool_choice : { type: "function", name: request.tool_choice.function.name };
  if (request.parallel_tool_calls != null) input.parallelToolCalls = request.parallel_tool_calls;
  if (request.temperature != null) input.temperature = request.temperature;
  if (request.top_p != null) input.topP = request.top_p;
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens != null) input.maxOutputTokens = maxTokens;
  if (request.stop != null) input.stop = typeof request.stop === "string" ? [request.stop] : request.stop;
  if (request.seed != null) input.seed = request.seed;
  if (request.frequency_penalty != null) input.frequencyPenalty = request.frequency_penalty;
  if (request.presence_penalty != null) input.presencePenalty = request.presence_penalty;
  if (request.response_format != null) input.textFormat = toTextFormat(request.response_format);
  if (request.reasoning_effort != null) input.reasoningEffort = request.reasoning_effort;
  if (request.user != null) input.user = request.user;
  if (request.metadata != null) input.metadata = request.metadata;
  // What the proxy does not read goes to the upstream that has it, as sent (`fields.ts`).
  const routed = routeChatFields(body as Record<string, unknown>);
  const extras: NonNullable<DecodedRequest["input"]["extras"]> = {};
  if (Object.keys(routed.chat).length > 0) extras.chat = routed.chat;
  if (Object.keys(routed.responses).length > 0) extras.responses = routed.responses;
  if (extras.chat || extras.responses) input.extras = extras;
  return {
    model: request.model,
    stream: request.stream === true,
    includeUsage: request.stream_options?.include_usage === true,
    input,
  };
}

/** Chat messages onto history items: assistant `tool_calls` become function_call items, role `tool` their outputs. */
export function messagesToItems(messages: readonly ChatMessage[]): Item[] {
  const items: Item[] = [];
  for (const message of messages) {
    switch (message.role) {
      case "system":
      case "developer":
      case "user":
        items.push({ type: "message", role: message.role, content: toParts(message.content) });
        break;
      case "assistant": {
        if (message.reasoning_content) items.push({ type: "reasoning", text: message.reasoning_content });
        const text = typeof message.content === "string" ? message.content : joinText(message.content ?? []);
        if (text) items.push({ type: "message", role: "assistant", content: [{ type: "output_text", text }] });
        for (const call of message.tool_calls ?? [])
          items.push({ type: "function_call", call_id: call.id, name: call.function.name, arguments: call.function.arguments });
        break;
      }
      case "tool":
        items.push({
          type: "function_call_output",
          call_id: message.tool_call_id,
          output: typeof message.content === "string" ? message.content : joinText(message.content),
        });
        break;
    }
  }
  return items;
}

type UserContent = Extract<ChatMessage, { role: "user" }>["content"];

function toParts(content: UserContent): ContentPart[] {
  if (typeof content === "string") return [{ type: "input_text", text: content }];
  const parts: ContentPart[] = [];
  for (const part of content) {
    if (part.type === "text") parts.push({ type: "input_text", text: part.text });
    else if (part.type === "image_url")
      parts.push({
        type: "input_image",
        image_url: part.image_url.url,
        ...(part.image_url.detail && { detail: part.image_url.detail }),
      });
  }
  return parts;
}

function joinText(parts: readonly ({ type: "text"; text: string } | { type: "refusal"; refusal: string })[]): string {
  let text = "";
  for (const part of parts) text += part.type === "text" ? part.text : part.refusal;
  return text;
}

function toTextFormat(format: NonNullable<ChatRequest["response_format"]>): TextFormat {
  if (format.type !== "json_schema") return { type: format.type };
  const { name, description, schema, strict } = format.json_schema;
  return {
    type: "json_schema",
    name,
    schema: schema ?? {},
    ...(description !== undefined && { description }),
    ...(strict != null && { strict }),
  };
}
