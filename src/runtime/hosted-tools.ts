import { HermesError, type HostedTool } from "../protocol/index.ts";
import { logger } from "../utils/logger.ts";
import type { RuntimeContext } from "./context.ts";

/** What becomes of a request's hosted tools on the upstream its model routes to. */
export interface HostedToolPlan {
  /** What goes upstream: all of them to an upstream that runs them, else none. */
  hostedTools: HostedTool[] | undefined;
  /** Types left out because nothing can run them (`X-Hermes-Dropped-Tools`), in request order. */
  dropped: string[];
}

/**
 * Decides, before the run starts (the answer's headers say what was dropped), where each hosted tool
 * of the request goes. An upstream that runs hosted tools (the Responses API) gets them all as sent.
 * Otherwise a `custom` tool goes on (a Chat upstream carries it as a function of one string), a type
 * a plugin claims (`defineTool({ hosted })`) is run by that plugin (its server tool is offered as
 * usual), and any other is dropped with one warning, or refused with a 400 when
 * `agent.unsupportedHostedTools` is `error`.
 *
 * @throws {HermesError} 400 `unsupported_tool` naming the first tool nothing can run, when so configured.
 */
export function planHostedTools(
  context: RuntimeContext,
  hostedTools: HostedTool[] | undefined,
  upstreamModel: string,
  paramOf: (tool: HostedTool) => string | null,
): HostedToolPlan {
  if (hostedTools === undefined || hostedTools.length === 0) return { hostedTools: undefined, dropped: [] };
  if (context.upstream.carriesHostedTools?.(upstreamModel) === true) return { hostedTools, dropped: [] };
  const claimed = context.registry.hosted;
  // A custom tool is the client's own, carried as a function of one string (`upstream/chat/custom-tools.ts`).
  const custom = hostedTools.filter((tool) => tool.type === "custom");
  const carried = custom.length > 0 ? custom : undefined;
  const unrunnable = hostedTools.filter((tool) => tool.type !== "custom" && !claimed?.has(tool.type));
  if (unrunnable.length === 0) return { hostedTools: carried, dropped: [] };
  const first = unrunnable[0]!;
  if (context.config.agent.unsupportedHostedTools === "error")
    throw new HermesError(`Tools of type '${first.type}' cannot be run here: the upstream for this model runs no hosted tools and no plugin provides one`, {
      status: 400,
      code: "unsupported_tool",
      param: paramOf(first),
    });
  const dropped = [...new Set(unrunnable.map((tool) => tool.type))];
  logger.warn(`dropped hosted tools the upstream cannot run and no plugin provides: ${dropped.join(", ")} (model ${upstreamModel})`);
  return { hostedTools: carried, dropped };
}
