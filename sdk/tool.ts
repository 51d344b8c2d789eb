import { z } from "zod";
import type { HermesTool, HostedToolType, ToolContext, ToolResult } from "../src/plugin-api/index.ts";

export type { HermesTool, HostedToolType, JsonValue, PluginLogger, ToolContext, ToolProgress, ToolResult } from "../src/plugin-api/index.ts";

/** What `defineTool` takes. */
export interface ToolDefinition<Parameters extends z.ZodType = z.ZodObject<Record<string, never>>> {
  /** What the model calls: letters, digits, `_` and `-`, at most 64 characters; unique across plugins. */
  name: string;
  /** What the model reads to decide when to call the tool and how. */
  description: string;
  /**
   * A `z.object(...)` of the arguments. It is sent upstream as JSON Schema (`z.toJSONSchema`) and parses
   * the model's arguments before `execute` sees them; `.describe()` on a field becomes its description.
   * @default z.object({})
   */
  parameters?: Parameters;
  /**
   * A JSON Schema of the arguments, sent upstream exactly as given, for a tool that comes with its
   * own (an MCP server's) instead of `parameters`. The proxy then checks only that the arguments are a
   * JSON object; the tool validates them itself. Must describe an object (`"type": "object"`).
   */
  jsonSchema?: Record<string, unknown>;
  /**
   * Runs the tool. Returns text, or any JSON value (sent to the model as JSON). May throw: the error's
   * message becomes the call's output, the model sees it and the run goes on.
   */
  execute(args: z.output<Parameters>, context: ToolContext): ToolResult | Promise<ToolResult>;
  /** Shown beside the tool's activity in progress UIs. */
  emoji?: string;
  /** A short human description of one call for progress UIs, e.g. `(args) => \`Fetching ${args.url}\``. */
  label?(args: z.output<Parameters>): string;
  /** Longest time one call may take; past it `context.signal` aborts and the call's output is an error. @default agent.toolTimeoutMs */
  timeoutMs?: number;
  /** Ask a person first (Runs API `approval.request`); Chat Completions and Responses refuse such a call. @default false */
  needsApproval?: boolean | ((args: z.output<Parameters>) => boolean);
  /**
   * Claims a hosted tool type of the Responses API (`"web_search"`, `"code_interpreter"`, …): when a
   * client sends `{ "type": "web_search" }` and the upstream cannot run hosted tools (a Chat Completions
   * upstream), this tool runs in its place, with its own parameters. When the upstream runs hosted tools
   * itself (a Responses upstream), the client's tool goes upstream and this one sits that run out. At
   * most one tool may claim a type. @default undefined
   */
  hosted?: HostedToolType;
}

const toolName = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Defines a server-side tool: the model calls it, the proxy runs it, and the result goes back to the
 * model in the same run. Checks the definition at once (so a bad tool fails when the config loads, not
 * when the model first calls it) and computes its JSON Schema once.
 *
 * @throws {TypeError} when the name, description, parameters or timeout are unusable.
 * @example
 * import { defineTool } from "hermes-proxy/sdk";
 * import { z } from "zod";
 *
 * export const weather = defineTool({
 *   name: "get_weather",
 *   description: "Current weather for a city",
 *   parameters: z.object({ city: z.string().describe("City name, e.g. Paris") }),
 *   emoji: "🌤️",
 *   label: (args) => `Weather in ${args.city}`,
 *   async execute({ city }, { signal }) {
 *     const response = await fetch(`https://wttr.in/${encodeURIComponent(city)}?format=j1`, { signal });
 *     return await response.json();
 *   },
 * });
 */
export function defineTool<Parameters extends z.ZodType = z.ZodObject<Record<string, never>>>(definition: ToolDefinition<Parameters>): HermesTool<Parameters> {
  const { name, description, emoji, timeoutMs, needsApproval, hosted } = definition;
  if (typeof name !== "string" || !toolName.test(name))
    throw new TypeError(`defineTool: name ${JSON.stringify(name)} must be 1-64 letters, digits, "_" or "-"`);
  if (typeof description !== "string" || description.trim() === "") throw new TypeError(`defineTool(${name}): description must be a non-empty string`);
  if (typeof definition.execute !== "function") throw new TypeError(`defineTool(${name}): execute must be a function`);
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0))
    throw new TypeError(`defineTool(${name}): timeoutMs must be a positive integer`);
  if (hosted !== undefined && (typeof hosted !== "string" || hosted === "" || hosted === "function" || hosted === "namespace"))
    throw new TypeError(`defineTool(${name}): hosted must name a hosted tool type such as "web_search"`);
  const given = definition.jsonSchema;
  if (given !== undefined && definition.parameters !== undefined) throw new TypeError(`defineTool(${name}): give parameters or jsonSchema, not both`);
  if (given !== undefined && (typeof given !== "object" || given === null || given.type !== "object"))
    throw new TypeError(`defineTool(${name}): jsonSchema must be an object schema ({ "type": "object", ... })`);
  const parameters = (definition.parameters ?? (given ? z.record(z.string(), z.unknown()) : z.object({}))) as Parameters;
  if (!isZodSchema(parameters)) throw new TypeError(`defineTool(${name}): parameters must be a zod v4 schema such as z.object({...})`);
  const jsonSchema = given ?? toToolJsonSchema(name, parameters);

  const tool: HermesTool<Parameters> = {
    kind: "tool",
    name,
    description,
    parameters,
    jsonSchema,
    execute: definition.execute.bind(definition),
    ...(emoji !== undefined && { emoji }),
    ...(definition.label !== undefined && { label: definition.label.bind(definition) }),
    ...(timeoutMs !== undefined && { timeoutMs }),
    ...(needsApproval !== undefined && { needsApproval }),
    ...(hosted !== undefined && { hosted }),
  };
  return Object.freeze(tool);
}

function isZodSchema(value: unknown): value is z.ZodType {
  return typeof value === "object" && value !== null && "_zod" in value && typeof (value as z.ZodType).safeParse === "function";
}

/** The input-side JSON Schema (fields with defaults are optional to the model), without `$schema`. */
function toToolJsonSchema(name: string, parameters: z.ZodType): Record<string, unknown> {
  let schema: Record<string, unknown>;
  try {
    schema = z.toJSONSchema(parameters, { io: "input" }) as Record<string, unknown>;
  } catch (error) {
    throw new TypeError(`defineTool(${name}): parameters cannot be expressed as JSON Schema: ${(error as Error).message}`, { cause: error });
  }
  if (schema.type !== "object") throw new TypeError(`defineTool(${name}): parameters must be an object schema, z.object({...})`);
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}
