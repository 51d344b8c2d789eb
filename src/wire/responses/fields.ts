/**
 * What happens to each field of a `POST /v1/responses` body, in each direction: the one table the
 * decoder routes request fields by (`routeFields`), and that the tests check field by field.
 *
 * - `responses`, `chat`: what a Responses or a Chat Completions upstream gets. `read`: the codec reads
 *   it into the run (`RunInput`), and each upstream codec encodes it its own way; `forward`: sent as
 *   the client sent it; `{ as }`: sent as it is under the upstream's own name; `drop`: not sent (the
 *   API has no such field).
 * - `client`: what the Response object (stream, JSON body, stored response) says of it. `settings`:
 *   the settings echo the codec builds (`ResponseSettings`); `echo`: the value as sent; `omit`: nothing.
 *
 * A field the table does not list takes `unlisted` (top level) or its parent's `*` row (inside
 * `text` and `reasoning`): a Responses upstream gets every field the proxy does not interpret.
 */

export type FieldRoute = "read" | "forward" | "drop" | { readonly as: string };

export interface FieldRule {
  readonly responses: FieldRoute;
  readonly chat: FieldRoute;
  readonly client: "settings" | "echo" | "omit";
}

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
  top_logprobs: { responses: "forward", chat: "drop", client: "echo" },
  max_tool_calls: { responses: "forward", chat: "drop", client: "echo" },
  prompt: { responses: "forward", chat: "drop", client: "echo" },
} as const satisfies Record<string, FieldRule>;

/** The objects whose fields have rows of their own (`text.verbosity`); other objects are one field. */
const nested: ReadonlySet<string> = new Set(["text", "reasoning"]);

/** The rule of a field, `text.verbosity` style for the fields of `text` and `reasoning`. */
export function fieldRule(path: string): FieldRule {
  const rules: Readonly<Record<string, FieldRule>> = responsesRequestFields;
  if (Object.hasOwn(rules, path)) return rules[path]!;
  const dot = path.indexOf(".");
  if (dot > 0 && Object.hasOwn(rules, `${path.slice(0, dot)}.*`)) return rules[`${path.slice(0, dot)}.*`]!;
  return unlisted;
}

/** The request fields each direction gets as they were sent: per upstream API, and the echo. */
export interface RoutedFields {
  responses: Record<string, unknown>;
  chat: Record<string, unknown>;
  /** Top-level fields the Response object carries as sent. */
  echo: Record<string, unknown>;
}

/**
 * Routes a request body's fields by the table: what goes to each upstream API as it was sent, and
 * what the Response object echoes. `read` and `settings` fields are left to the decoder.
 *
 * @example
 * routeFields({ model: "m", input: "hi", include: ["reasoning.encrypted_content"], text: { verbosity: "low" } });
 * // { responses: { include: [...], text: { verbosity: "low" } }, chat: { verbosity: "low" }, echo: {} }
 */
export function routeFields(body: Readonly<Record<string, unknown>>): RoutedFields {
  const routed: RoutedFields = { responses: {}, chat: {}, echo: {} };
  for (const [key, value] of Object.entries(body)) {
    if (value === undefined) continue;
    if (nested.has(key) && isPlainObject(value)) {
      for (const [inner, innerValue] of Object.entries(value)) if (innerValue !== undefined) place(routed, fieldRule(`${key}.${inner}`), innerValue, inner, key);
    } else {
      place(routed, fieldRule(key), value, key);
    }
  }
  return routed;
}

function place(routed: RoutedFields, rule: FieldRule, value: unknown, key: string, parent?: string): void {
  for (const api of ["responses", "chat"] as const) {
    const route = rule[api];
    if (route === "read" || route === "drop") continue;
    const name = route === "forward" ? key : route.as;
    // A renamed field is a top-level field of its API (`text.verbosity` is Chat's `verbosity`).
    if (parent === undefined || route !== "forward") routed[api][name] = value;
    else ((routed[api][parent] ??= {}) as Record<string, unknown>)[name] = value;
  }
  if (rule.client === "echo" && parent === undefined) routed.echo[key] = value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The top-level fields a Response object echoes as sent. */
export const echoedFields: readonly string[] = Object.entries(responsesRequestFields as Readonly<Record<string, FieldRule>>)
  .filter(([key, rule]) => rule.client === "echo" && !key.includes("."))
  .map(([key]) => key);
