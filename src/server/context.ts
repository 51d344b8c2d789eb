import type { H3Event } from "h3";
import type { JobService } from "../jobs/service.ts";
import type { Observability } from "../observability/setup.ts";
import type { RuntimeContext } from "../runtime/context.ts";
import type { ClientWatch } from "../runtime/lifecycle.ts";
import { watchClient } from "./client-gone.ts";
import type { McpServerSdk } from "./mcp/load-sdk.ts";

/** Everything a route needs: the runtime, plus what only the HTTP side uses. */
export interface ServerContext extends RuntimeContext {
  version: string;
  startedAt: number;
  /** Scheduled jobs (`/api/jobs`) and their scheduler; absent when `jobs.enabled` is off. */
  jobs?: JobService | undefined;
  /** Metrics, the request tracker and request context; absent, nothing is observed. */
  observability?: Observability | undefined;
  /** The MCP SDK's server side, loaded at start when `mcp.serve` is on: `/mcp` is served with it. */
  mcpSdk?: McpServerSdk | undefined;
}

/** The runtime's view of a request's client: gone when the connection closes before the answer is complete. */
export function clientOf(event: H3Event): ClientWatch {
  return (onGone) => watchClient(event, onGone);
}
