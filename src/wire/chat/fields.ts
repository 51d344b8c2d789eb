import { type FieldRule, type FieldTable, fieldRule, routeFields, type RoutedFields } from "../field-routes.ts";

/**
 * What happens to each field of a `POST /v1/chat/completions` body, in each direction (the columns are
 * explained in `../field-routes.ts`). The API's other fields (`logprobs`, `logit_bias`, `prediction`,
 * `web_search_options`, …) go to a Chat upstream as sent and are left out for a Responses upstream,
 * which has no such fields. A field the spec does not have is dropped: frontends add their own
 * (`chat_id`, …), which strict upstreams refuse. Chat Completions answers echo no settings.
 */

const read: FieldRule = { responses: "read", chat: "read", client: "omit" };
const own: FieldRule = { responses: "drop", chat: "drop", client: "omit" };
/** A field both APIs have under one name. */
const both: FieldRule = { responses: "forward", chat: "forward", client: "omit" };

export const unlisted: FieldRule = own;
const chatOnly: FieldRule = { responses: "drop", chat: "forward", client: "omit" };

export const chatRequestFields = {
  model: read,
  messages: read,
  tools: read,
  tool_choice: read,
  parallel_tool_calls: read,
  temperature: read,
  top_p: read,
  max_tokens: read,
  max_completion_tokens: read,
  stop: read,
  seed: read,
  frequency_penalty: read,
  presence_penalty: read,
  response_format: read,
  reasoning_effort: read,
  user: read,
  metadata: read,
  n: read,
  // The proxy streams to its client itself, whatever it asks of the upstream.
  stream: own,
  stream_options: own,
  prompt_cache_key: both,
  prompt_cache_retention: both,
  safety_identifier: both,
  service_tier: both,
  prompt_cache_options: both,
  moderation: both,
  verbosity: { responses: { as: "text.verbosity" }, chat: "forward", client: "omit" },
  logprobs: chatOnly,
  top_logprobs: chatOnly,
  logit_bias: chatOnly,
  prediction: chatOnly,
  web_search_options: chatOnly,
  modalities: chatOnly,
  audio: chatOnly,
  store: chatOnly,
} as const satisfies Record<string, FieldRule>;

export const chatFields: FieldTable = { rules: chatRequestFields, nested: new Set(), unlisted };

/** A Chat Completions request field's rule. */
export function chatFieldRule(path: string): FieldRule {
  return fieldRule(chatFields, path);
}

/** A Chat Completions request body's fields routed by the table. */
export function routeChatFields(body: Readonly<Record<string, unknown>>): RoutedFields {
  return routeFields(chatFields, body);
}
