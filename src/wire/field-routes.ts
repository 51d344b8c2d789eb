/**
 * Field tables: what each field of a client's request becomes, per direction. A client codec keeps one
 * (`responses/fields.ts`, `chat/fields.ts`), and `routeFields` sends what the table forwards.
 *
 * - `responses`, `chat`: what a Responses or a Chat Completions upstream gets. `read`: the codec reads
 *   it into the run (`RunInput`), and each upstream codec encodes it its own way; `forward`: sent as
 *   the client sent it; `{ as }`: sent as it is under the upstream's own name (`text.verbosity` nests
 *   it); `drop`: not sent (the API has no such field, or it is the proxy's own).
 * - `client`: what the answer says of it. `settings`: the settings echo the codec builds; `echo`: the
 *   value as sent; `omit`: nothing.
 */

export type FieldRoute = "read" | "forward" | "drop" | { readonly as: string };

export interface FieldRule {
  readonly responses: FieldRoute;
  readonly chat: FieldRoute;
  readonly client: "settings" | "echo" | "omit";
}

export interface FieldTable {
  /** Rules by field, `text.verbosity` style inside the `nested` objects, `text.*` for their other fields. */
  readonly rules: Readonly<Record<string, FieldRule>>;
  /** The objects whose fields have rows of their own; any other object is one field. */
  readonly nested: ReadonlySet<string>;
  /** The rule of a top-level field the table does not list. */
  readonly unlisted: FieldRule;
}

/** The fields each direction gets as they were sent: per upstream API, and the echo. */
export interface RoutedFields {
  responses: Record<string, unknown>;
  chat: Record<string, unknown>;
  /** Top-level fields the answer carries as sent. */
  echo: Record<string, unknown>;
}

/** The rule of a field: its row, else its parent's `*` row, else the table's `unlisted`. */
export function fieldRule(table: FieldTable, path: string): FieldRule {
  if (Object.hasOwn(table.rules, path)) return table.rules[path]!;
  const dot = path.indexOf(".");
  if (dot > 0 && Object.hasOwn(table.rules, `${path.slice(0, dot)}.*`)) return table.rules[`${path.slice(0, dot)}.*`]!;
  return table.unlisted;
}

/**
 * Routes a request body's fields by a table: what goes to each upstream API as it was sent, and what
 * the answer echoes. `read` and `settings` fields are left to the codec.
 *
 * @example
 * routeFields(responsesFields, { input: "hi", include: ["reasoning.encrypted_content"], text: { verbosity: "low" } });
 * // { responses: { include: [...], text: { verbosity: "low" } }, chat: { verbosity: "low" }, echo: {} }
 */
export function routeFields(table: FieldTable, body: Readonly<Record<string, unknown>>): RoutedFields {
  const routed: RoutedFields = { responses: {}, chat: {}, echo: {} };
  for (const [key, value] of Object.entries(body)) {
    if (value === undefined) continue;
    if (table.nested.has(key) && isPlainObject(value)) {
      for (const [inner, innerValue] of Object.entries(value))
        if (innerValue !== undefined) place(routed, fieldRule(table, `${key}.${inner}`), innerValue, `${key}.${inner}`);
    } else {
      place(routed, fieldRule(table, key), value, key);
    }
  }
  return routed;
}

function place(routed: RoutedFields, rule: FieldRule, value: unknown, path: string): void {
  for (const api of ["responses", "chat"] as const) {
    const route = rule[api];
    if (route === "read" || route === "drop") continue;
    setPath(routed[api], route === "forward" ? path : route.as, value);
  }
  if (rule.client === "echo" && !path.includes(".")) routed.echo[path] = value;
}

/** Sets `a.b` as `{ a: { b } }`, beside what `a` already holds. */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const dot = path.indexOf(".");
  if (dot < 0) {
    target[path] = value;
    return;
  }
  const parent = path.slice(0, dot);
  const inner = isPlainObject(target[parent]) ? (target[parent] as Record<string, unknown>) : (target[parent] = {} as Record<string, unknown>);
  setPath(inner as Record<string, unknown>, path.slice(dot + 1), value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The top-level fields a table echoes as sent. */
export function echoedFields(table: FieldTable): string[] {
  return Object.entries(table.rules)
    .filter(([key, rule]) => rule.client === "echo" && !key.includes("."))
    .map(([key]) => key);
}
