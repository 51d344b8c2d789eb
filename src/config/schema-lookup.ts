import type { z } from "zod";

/**
 * Reads the config schema itself, so that messages describe a field from the same definition that
 * validates it instead of from a second, hand-kept table. Uses zod's `_zod.def`, which zod documents for
 * library authors.
 */

type Schema = z.core.$ZodType;
type Def = { type: string } & Record<string, unknown>;

const wrappers = new Set(["optional", "default", "prefault", "nullable", "readonly", "catch", "nonoptional"]);

function defOf(schema: Schema): Def {
  return schema._zod.def as unknown as Def;
}

/** The schema under optional/default/pipe wrappers: the one that says what a value must look like. */
export function unwrapSchema(schema: Schema): Schema {
  let current = schema;
  for (let depth = 0; depth < 20; depth++) {
    const def = defOf(current);
    if (wrappers.has(def.type)) current = def.innerType as Schema;
    else if (def.type === "pipe") current = def.in as Schema;
    else if (def.type === "lazy") current = (def.getter as () => Schema)();
    else break;
  }
  return current;
}

/** The schema of the field at `path`, or undefined when the path leaves the schema. */
export function schemaAt(root: Schema, path: readonly PropertyKey[]): Schema | undefined {
  let current: Schema | undefined = root;
  for (const key of path) {
    if (current === undefined) return undefined;
    const def = defOf(unwrapSchema(current));
    if (def.type === "object") current = (def.shape as Record<string, Schema>)[String(key)];
    else if (def.type === "array") current = def.element as Schema;
    else if (def.type === "record") current = def.valueType as Schema;
    else return undefined;
  }
  return current;
}

/** The field names of the object at `path`; empty when it is not an object. */
export function objectKeysAt(root: Schema, path: readonly PropertyKey[]): string[] {
  const schema = schemaAt(root, path);
  if (schema === undefined) return [];
  const def = defOf(unwrapSchema(schema));
  return def.type === "object" ? Object.keys(def.shape as Record<string, Schema>) : [];
}

/** Every field path in the schema, objects included: `[["server"], ["server", "port"], …]`. */
export function fieldPaths(root: Schema, prefix: readonly string[] = []): string[][] {
  const paths: string[][] = [];
  for (const key of objectKeysAt(root, prefix)) {
    const path = [...prefix, key];
    paths.push(path, ...fieldPaths(root, path));
  }
  return paths;
}

/**
 * What a value for this schema must be, in words: "an integer from 0 to 65535", "one of "chat",
 * "responses"", "a non-empty string".
 */
export function describeSchema(schema: Schema): string {
  const inner = unwrapSchema(schema);
  // A field whose shape says little (a list of plugin objects) names itself with `.describe()`.
  const described = (inner as { description?: unknown }).description;
  if (typeof described === "string") return described;
  const def = defOf(inner);
  switch (def.type) {
    case "number":
      return describeNumber(checksOf(def));
    case "string":
      return describeString(def, checksOf(def));
    case "boolean":
      return "true or false";
    case "enum":
      return `one of ${Object.values(def.entries as Record<string, unknown>)
        .map((value) => JSON.stringify(value))
        .join(", ")}`;
    case "literal":
      return (def.values as unknown[]).map((value) => JSON.stringify(value)).join(" or ");
    case "array":
      return `a list of ${plural(describeSchema(def.element as Schema))}`;
    case "object":
      return "an object";
    case "record":
      return "an object";
    case "union":
      return (def.options as Schema[]).map(describeSchema).join(" or ");
    default:
      return `a ${def.type}`;
  }
}

type Check = Record<string, unknown> & { check: string };

function checksOf(def: Def): Check[] {
  const checks = (def.checks as Array<{ _zod: { def: Check } }> | undefined) ?? [];
  return checks.map((check) => check._zod.def);
}

function describeNumber(checks: Check[]): string {
  const integer = checks.some((check) => check.check === "number_format" && /int/.test(String(check.format)));
  const noun = integer ? "integer" : "number";
  const low = checks.find((check) => check.check === "greater_than");
  const high = checks.find((check) => check.check === "less_than" && Number(check.value) < Number.MAX_SAFE_INTEGER);
  const article = integer ? "an" : "a";
  if (low !== undefined && high !== undefined && low.inclusive === true && high.inclusive === true) {
    return `${article} ${noun} from ${String(low.value)} to ${String(high.value)}`;
  }
  const bounds: string[] = [];
  if (low !== undefined) {
    if (low.value === 0 && low.inclusive !== true) return `a positive ${noun}${high === undefined ? "" : ` up to ${String(high.value)}`}`;
    bounds.push(`${low.inclusive === true ? "at least" : "greater than"} ${String(low.value)}`);
  }
  if (high !== undefined) bounds.push(`${high.inclusive === true ? "at most" : "less than"} ${String(high.value)}`);
  return bounds.length === 0 ? `${article} ${noun}` : `${article} ${noun} ${bounds.join(" and ")}`;
}

function describeString(def: Def, checks: Check[]): string {
  if (def.format === "url") {
    const protocol = def.protocol;
    const web = protocol instanceof RegExp && protocol.test("http") && protocol.test("https") && !protocol.test("ftp");
    return web ? "an http:// or https:// URL" : "a URL";
  }
  const minimum = checks.find((check) => check.check === "min_length")?.minimum;
  if (minimum === 1) return "a non-empty string";
  if (typeof minimum === "number") return `a string of at least ${minimum} characters`;
  return "a string";
}

function plural(description: string): string {
  const simple = /^an? ((?:non-empty )?(?:string|integer|number|object))$/.exec(description);
  return simple?.[1] === undefined ? `items that are each ${description}` : `${simple[1]}s`;
}
