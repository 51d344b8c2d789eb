import { limits } from "../limits.ts";
import type { ChatRequest } from "./schema.ts";

/**
 * Whether `chatRequestSchema` accepts `body`, answered by hand for the requests frontends send on
 * every turn: text messages, the model, `stream`, and the common sampling fields. A request this
 * accepts skips zod, whose parse costs about as much as the rest of the route's bookkeeping and
 * copies the whole conversation. Never less strict than the schema: anything else (content parts,
 * tools, response formats, any other known field set) answers false and goes through zod, which
 * accepts it or names the bad field. Unknown top-level and message fields are ignored, as zod's
 * stripping objects ignore them; the decoder reads only the fields it knows.
 */
export function isPlainChatRequest(body: unknown): body is ChatRequest {
  if (!isObject(body)) return false;
  const { model, messages, stream, stream_options: streamOptions } = body;
  if (model !== undefined && !(typeof model === "string" && model.length >= 1 && model.length <= 256)) return false;
  if (!Array.isArray(messages) || messages.length < 1 || messages.length > limits.items) return false;
  for (const message of messages) if (!isPlainMessage(message)) return false;
  // `stream` also takes "true"/"1"/… through zod's preprocess: only real booleans here.
  if (!nullishOr(stream, isBoolean)) return false;
  if (!nullishOr(streamOptions, (options) => isObject(options) && nullishOr(options.include_usage, isBoolean))) return false;
  if (!nullishOr(body.temperature, (value) => isNumberIn(value, 0, 2))) return false;
  if (!nullishOr(body.top_p, (value) => isNumberIn(value, 0, 1))) return false;
  if (!nullishOr(body.max_tokens, isPositiveInteger) || !nullishOr(body.max_completion_tokens, isPositiveInteger)) return false;
  if (!nullishOr(body.user, (value) => typeof value === "string" && value.length <= 256)) return false;
  for (const field of otherFields) if (body[field] !== undefined) return false;
  return true;
}

/** Known fields this check leaves to zod: a request that sets any of them goes through the schema. */
const otherFields = [
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "stop",
  "seed",
  "frequency_penalty",
  "presence_penalty",
  "response_format",
  "reasoning_effort",
  "metadata",
  "n",
] as const;

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function nullishOr(value: unknown, check: (value: unknown) => boolean): boolean {
  return value === undefined || value === null || check(value);
}

function isBoolean(value: unknown): boolean {
  return typeof value === "boolean";
}

function isNumberIn(value: unknown, min: number, max: number): boolean {
  return typeof value === "number" && value >= min && value <= max;
}

function isPositiveInteger(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) > 0;
}

function isText(value: unknown): boolean {
  return typeof value === "string" && value.length <= limits.textLength;
}

function isOptionalName(value: unknown): boolean {
  return value === undefined || typeof value === "string";
}

/** A message whose content is a string: system, developer, user, tool, or an assistant turn without tool calls. */
function isPlainMessage(message: unknown): boolean {
  if (!isObject(message)) return false;
  switch (message.role) {
    case "system":
    case "developer":
    case "user":
      return isText(message.content) && isOptionalName(message.name);
    case "assistant":
      return (
        nullishOr(message.content, isText) &&
        message.tool_calls === undefined &&
        nullishOr(message.reasoning_content, isText) &&
        nullishOr(message.refusal, isText) &&
        isOptionalName(message.name)
      );
    case "tool": {
      const id = message.tool_call_id;
      return isText(message.content) && typeof id === "string" && id.length >= 1 && id.length <= 256;
    }
    default:
      return false;
  }
}
