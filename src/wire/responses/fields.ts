/**
 * What happens to each field of a `POST /v1/responses` body, in each direction (the columns are
 * explained in `../field-routes.ts`): the one table the decoder routes request fields by, and that the
 * tests check row by row. `client` is what the Response object (stream, JSON body, stored response)
 * says of the field. A field the table does not list takes `unlisted` (top level) or its parent's `*`
 * row (inside `text` and `reasoning`): a Responses upstream gets every field the proxy does not interpret.
 */

import { type FieldRule, type FieldTable, fieldRule, echoedFields as echoedOf, routeFields as route, type RoutedFields } from "../field-routes.ts";

const read: FieldRule = { responses: "read", chat: "read", client: "settings" };
/** Fields of the proxy's own state and transport: they never go upstream as they are. */
const own: FieldRule = { responses: "drop", chat: "drop", client: "settings" };
const forwardOnly: FieldRule = { responses: "forward", chat: "drop", client: "omit" };
/** A field both APIs have under one name, echoed back. */
const both = (name: string): FieldRule => ({ responses: "forward", chat: { as: name }, client: "echo" });

export const unlisted: FieldRule = forwardOnly;

export const responsesRequestFields = {
  model: read,
  input: read,
  instructions: read,
  tools: read,
  // Read; the choice of a hosted tool (`{ "type": "web_search_preview" }`) goes to a Responses upstream as sent.
  tool_choice: read,
  parallel_tool_calls: read,
  max_output_tokens: read,
  temperature: read,
  top_p: read,
  metadata: read,
  user: read,
  "text.format": read,
  "text.verbosity": { responses: "forward", chat: { as: "verbosity" }, client: "settings" },
  "text.*": { responses: "forward", chat: "drop", client: "omit" },
  "reasoning.effort": read,
  "reasoning.summary": { responses: "forward", chat: "drop", client: "settings" },
  "reasoning.*": { responses: "forward", chat: "drop", client: "omit" },
  // The proxy keeps the state: the upstream is always called statelessly, whole history in `input`.
  previous_response_id: own,
  conversation: own,
  conversation_history: own,
  store: own,
  stream: own,
  background: own,
  // Read (`auto` drops the oldest turns here) and forwarded: an upstream that truncates too does no harm.
  truncation: { responses: "forward", chat: "drop", client: "settings" },
  include: forwardOnly,
  client_metadata: forwardOnly,
  stream_options: forwardOnly,
  prompt_cache_key: both("prompt_cache_key"),
  prompt_cache_retention: both("prompt_cache_retention"),
  safety_identifier: both("safety_identifier"),
  service_tier: both("service_tier"),
  prompt_cache_options: { responses: "forward", chat: { as: "prompt_cache_options" }, client: "omit" },
  moderation: { responses: "forward", chat: { as: "moderation" }, client: "echo" },
  top_logprobs: { responses: "forward", chat: "drop", client: "echo" },
  max_tool_calls: { responses: "forward", chat: "drop", client: "echo" },
  prompt: { responses: "forward", chat: "drop", client: "echo" },
} as const satisfies Record<string, FieldRule>;

/** The table the Responses codec routes by. */
export const responsesFields: FieldTable = { rules: responsesRequestFields, nested: new Set(["text", "reasoning"]), unlisted };

/** A Responses request field's rule (`text.verbosity` style inside `text` and `reasoning`). */
export function responsesFieldRule(path: string): FieldRule {
  return fieldRule(responsesFields, path);
}

/** A Responses request body's fields routed by the table. */
export function routeResponsesFields(body: Readonly<Record<string, unknown>>): RoutedFields {
  return route(responsesFields, body);
}

/** The top-level fields a Response object echoes as sent. */
export const echoedFields: readonly string[] = echoedOf(responsesFields);
