import { execute } from "../agent/dispatch.ts";
import { needsApproval } from "../agent/approval.ts";
import { toolSetFor } from "../agent/tools.ts";
import { parseToolArguments, toolErrorText, type ToolProgress } from "../plugin-api/index.ts";
import type { ToolSet } from "../plugins/registry.ts";
import { randomId } from "../utils/index.ts";
import type { ClientWatch } from "./lifecycle.ts";
import type { RuntimeContext } from "./context.ts";

/**
 * The server tools the proxy offers as an MCP server (`mcp.serve`): its tool plugins' tools, and the
 * tools it takes from other MCP servers only when `mcp.relay` allows it.
 */
export async function servedTools(context: RuntimeContext, signal: AbortSignal): Promise<ToolSet> {
  return context.config.mcp.relay ? toolSetFor(context.registry, signal) : context.registry;
}

/** What an MCP client gets back from one call. */
export interface ServedCallResult {
  output: string;
  isError: boolean;
}

/**
 * Runs one tool for an MCP client as the agent loop runs it for a model: arguments checked by the
 * tool's schema, its time limit, its progress reported, an error as an error output. The call is
 * shutdown's to wait for and abort like a run, and ends when the client goes away. A tool that
 * needs a person's approval is refused: an MCP client has no way to ask one here.
 */
export async function callServedTool(
  context: RuntimeContext,
  name: string,
  args: unknown,
  options: { client: ClientWatch | AbortSignal; onProgress: (update: ToolProgress) => void },
): Promise<ServedCallResult> {
  const { signal, release } = context.lifecycle.runSignal(options.client);
  try {
    const registered = (await servedTools(context, signal)).tools.get(name);
    if (!registered) return { output: `Unknown tool: ${name}`, isError: true };
    const parsed = parseToolArguments(registered.tool, JSON.stringify(args ?? {}));
    if (!parsed.ok) return { output: parsed.message, isError: true };
    let asks: boolean;
    try {
      asks = needsApproval(registered.tool, parsed.args);
    } catch (error) {
      return { output: toolErrorText(name, error), isError: true };
    }
    if (asks) return { output: `${name} was not run: it needs a person's approval, which an MCP client cannot give here; use the Runs API.`, isError: true };
    return await execute(
      registered,
      parsed.args,
      { callId: randomId("mcp_"), name },
      {
        runId: randomId("run_mcp_"),
        sessionId: undefined,
        signal,
        toolTimeoutMs: context.config.agent.toolTimeoutMs,
        onProgress: options.onProgress,
      },
    );
  } finally {
    release();
  }
}
