import type { z } from "zod";
import { isSecretKey, maskSecret, maskUrl } from "./mask.ts";
import { nearest } from "./nearest.ts";
import type { ConfigOrigins } from "./overlay.ts";
import { describeSchema, fieldPaths, objectKeysAt, schemaAt } from "./schema-lookup.ts";

type Schema = z.core.$ZodType;
type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

export interface DiagnosticContext {
  schema: Schema;
  /** The validated input, to show what was received. */
  input: unknown;
  /** Which environment variable or flag set a field, when one did. */
  origins?: ConfigOrigins | undefined;
}

/**
 * One line per problem, each naming the field path, where its value came from when that was not the
 * config file, what the field expects and what it got. Secrets are never quoted back.
 *
 * @example
 * describeIssues(issues, { schema, input, origins });
 * // ['server.port (from HERMES_PORT): expected an integer from 0 to 65535, received "80a"']
 */
export function describeIssues(issues: readonly Issue[], context: DiagnosticContext): string[] {
  const lines = issues.flatMap((issue) => describeIssue(issue, context));
  return [...new Set(lines)];
}

function describeIssue(issue: Issue, context: DiagnosticContext): string[] {
  const path = issue.path;
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => describeUnknownField([...path, key], context.schema));
  }
  const field = `${formatPath(path)}${originNote(path, context.origins)}`;
  const value = valueAt(context.input, path);
  const fieldSchema = schemaAt(context.schema, path);

  switch (issue.code) {
    case "invalid_type":
    case "too_small":
    case "too_big":
    case "invalid_value":
    case "not_multiple_of":
    case "invalid_format": {
      const expected = expectedText(issue, fieldSchema);
      if (value === undefined) return [`${field}: missing; expected ${expected}`];
      return [`${field}: expected ${expected}, received ${describeValue(value, path)}`];
    }
    default:
      return [`${field}: ${issue.message}`];
  }
}

function expectedText(issue: Issue, fieldSchema: Schema | undefined): string {
  // A regex says little to a person; the schema's own message ('expected "memory", "fs:<dir>", …') says more.
  if (issue.code === "invalid_format" && issue.format === "regex") {
    return issue.message.startsWith("expected ") ? issue.message.slice("expected ".length) : `a string matching ${String(issue.pattern)}`;
  }
  if (fieldSchema !== undefined) return describeSchema(fieldSchema);
  return issue.code === "invalid_type" ? `a ${issue.expected}` : issue.message;
}

/**
 * `server.prot: unknown field; did you mean "server.port"?` — the nearest key of the same object, else
 * the same key elsewhere in the schema (a top-level `port` is `server.port`), else the valid keys.
 */
function describeUnknownField(path: Path, schema: Schema): string {
  const parent = path.slice(0, -1);
  const key = String(path.at(-1));
  const siblings = objectKeysAt(schema, parent);
  const close = nearest(key, siblings);
  if (close !== undefined) return `${formatPath(path)}: unknown field; did you mean "${formatPath([...parent, close])}"?`;

  const elsewhere = fieldPaths(schema).filter((candidate) => candidate.at(-1)?.toLowerCase() === key.toLowerCase());
  if (elsewhere.length > 0) {
    return `${formatPath(path)}: unknown field; did you mean ${elsewhere.map((candidate) => `"${formatPath(candidate)}"`).join(" or ")}?`;
  }
  const of = parent.length === 0 ? "" : ` of ${formatPath(parent)}`;
  return `${formatPath(path)}: unknown field; valid fields${of} are ${siblings.join(", ")}`;
}

/** `["model", "aliases", 0]` → `model.aliases[0]`. */
export function formatPath(path: Path): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else text += text === "" ? String(key) : `.${String(key)}`;
  }
  return text === "" ? "(the config object)" : text;
}

function originNote(path: Path, origins: ConfigOrigins | undefined): string {
  if (origins === undefined) return "";
  const names = path.filter((key) => typeof key !== "number").map(String);
  for (let length = names.length; length > 0; length--) {
    const origin = origins.get(names.slice(0, length).join("."));
    if (origin !== undefined) return ` (from ${origin})`;
  }
  return "";
}

function valueAt(root: unknown, path: Path): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** What was received, short and safe to print: secrets masked, credentials cut out of URLs. */
function describeValue(value: unknown, path: Path): string {
  if (typeof value === "string") {
    const secret = path.some((key) => typeof key === "string" && isSecretKey(key));
    const shown = secret ? maskSecret(value) : maskUrl(value);
    return JSON.stringify(shown.length > 80 ? `${shown.slice(0, 77)}...` : shown);
  }
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "function") return "a function";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}
