import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import { defineTool, type HermesTool, type z } from "../../sdk/index.ts";
import { resultText } from "./content.ts";
import type { McpConnection } from "./connection.ts";

/** Which of a server's tools the model gets, under what names, and which need a person's approval. */
export interface ToolRules {
  /** The plugin's name, for descriptions and messages. */
  server: string;
  /** Put before each tool's name. */
  prefix: string;
  /** Only these MCP tool names, when given. */
  allow: ReadonlySet<string> | undefined;
  /** Never these. */
  deny: ReadonlySet<string>;
  needsApproval: boolean | "destructive" | ReadonlySet<string> | ((tool: string, args: Record<string, unknown>) => boolean);
  timeoutMs: number | undefined;
}

/** Tool names the model may use: letters, digits, `_` and `-`, at most 64. */
const unsafe = /[^A-Za-z0-9_-]/g;

/** The model's name for an MCP tool: the prefix and the tool's name, other characters as `_`, cut to 64. */
export function exposedName(prefix: string, tool: string): string {
  return `${prefix}${tool}`.replace(unsafe, "_").slice(0, 64);
}

/**
 * A server's listed tools as the proxy's server tools, filtered by `allow` and `deny`. The server's
 * JSON Schema goes to the model unchanged; a call runs `tools/call` with the run's signal (a stop, a
 * gone client or the time limit cancels it on the server too, as `notifications/cancelled`), its
 * progress notifications become the call's progress, and an `isError` result is an error output.
 * Two tools that come out under one name keep the first.
 */
export function toHermesTools(tools: readonly Tool[], rules: ToolRules, connection: McpConnection): HermesTool[] {
  const out = new Map<string, HermesTool>();
  for (const tool of tools) {
    if (rules.allow && !rules.allow.has(tool.name)) continue;
    if (rules.deny.has(tool.name)) continue;
    const name = exposedName(rules.prefix, tool.name);
    if (name === "" || out.has(name)) continue;
    out.set(name, toHermesTool(name, tool, rules, connection));
  }
  return [...out.values()];
}

/**
 * Whether a tool may change or destroy something, by its annotations as the MCP spec reads them: a
 * tool is assumed to write and to destroy unless it says `readOnlyHint: true` or `destructiveHint: false`.
 * Hints from the server, not guarantees: trust them only as far as you trust the server.
 */
export function mayDestroy(tool: Pick<Tool, "annotations">): boolean {
  const hints = tool.annotations ?? {};
  return hints.readOnlyHint !== true && hints.destructiveHint !== false;
}

function toHermesTool(name: string, tool: Tool, rules: ToolRules, connection: McpConnection): HermesTool {
  const rule = rules.needsApproval;
  const needsApproval =
    typeof rule === "boolean"
      ? rule
      : rule === "destructive"
        ? mayDestroy(tool)
        : typeof rule === "function"
          ? (args: Record<string, unknown>) => rule(tool.name, args)
          : rule.has(tool.name);
  const description = tool.description?.trim() || tool.title?.trim() || tool.annotations?.title?.trim() || `${tool.name} (from the MCP server ${rules.server})`;
  // The arguments are the JSON object the model wrote, checked by the server against its own schema.
  return defineTool<z.ZodRecord<z.ZodString, z.ZodUnknown>>({
    name,
    description,
    jsonSchema: tool.inputSchema as Record<string, unknown>,
    ...(rules.timeoutMs !== undefined && { timeoutMs: rules.timeoutMs }),
    ...(needsApproval !== false && { needsApproval }),
    async execute(args, { signal, progress }) {
      const client = await connection.client(signal);
      const result = (await client
        .callTool({ name: tool.name, arguments: args }, undefined, {
          signal,
          // The proxy's own limit (the tool's timeoutMs, else agent.toolTimeoutMs) ends the call through
          // `signal`; the SDK's default of 60 s must not cut it first.
          timeout: 2 ** 31 - 1,
          onprogress: (update) => progress({ progress: update.progress, total: update.total, message: update.message }),
        })
        .catch((error: unknown) => {
          connection.callFailed(client, error, signal);
          throw error;
        })) as CallToolResult;
      const text = resultText(result);
      if (result.isError === true) throw new Error(text || "the tool reported an error");
      return text === "" ? "(no output)" : text;
    },
  });
}
