import type { ChatCompletion } from "./schema.ts";

/**
 * Whether `chatCompletionSchema` accepts `body`, answered by hand: a well-formed answer then skips
 * zod, whose parse also copies the whole body. Exactly as strict as the schema, never less: anything
 * this does not recognise goes through zod, so a malformed body still fails with zod's issues.
 */
export function isChatCompletion(body: unknown): body is ChatCompletion {
  if (!isObject(body) || !nullishOr(body.usage, isUsage)) return false;
  const choices = body.choices;
  if (!Array.isArray(choices) || choices.length === 0) return false;
  for (const choice of choices) {
    if (!isObject(choice) || !nullishOr(choice.finish_reason, isString) || !isMessage(choice.message)) return false;
  }
  return true;
}

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isString(value: unknown): value is string {
  return typeof value === "string";
}

function isNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function nullishOr(value: unknown, check: (value: unknown) => boolean): boolean {
  return value === undefined || value === null || check(value);
}

function isMessage(message: unknown): boolean {
  if (!isObject(message)) return false;
  return (
    nullishOr(message.content, isContent) &&
    nullishOr(message.reasoning_content, isString) &&
    nullishOr(message.reasoning, isString) &&
    nullishOr(message.refusal, isString) &&
    nullishOr(message.tool_calls, isToolCalls)
  );
}

function isContent(content: unknown): boolean {
  if (typeof content === "string") return true;
  if (!Array.isArray(content)) return false;
  for (const part of content) if (!isObject(part) || !isString(part.type) || !nullishOr(part.text, isString)) return false;
  return true;
}

function isToolCalls(calls: unknown): boolean {
  if (!Array.isArray(calls)) return false;
  for (const call of calls) {
    if (!isObject(call) || !nullishOr(call.id, isString)) return false;
    const fn = call.function;
    if (!isObject(fn) || !isString(fn.name) || !nullishOr(fn.arguments, isString)) return false;
  }
  return true;
}

function isUsage(usage: unknown): boolean {
  if (!isObject(usage)) return false;
  if (!nullishOr(usage.prompt_tokens, isNumber) || !nullishOr(usage.completion_tokens, isNumber) || !nullishOr(usage.total_tokens, isNumber))
    return false;
  const prompt = usage.prompt_tokens_details;
  const completion = usage.completion_tokens_details;
  return (
    nullishOr(prompt, (details) => isObject(details) && nullishOr(details.cached_tokens, isNumber)) &&
    nullishOr(completion, (details) => isObject(details) && nullishOr(details.reasoning_tokens, isNumber))
  );
}
