import { HTTPResponse } from "h3";
import { isRouterUpstream } from "../../upstream/router/index.ts";
import type { ServerContext } from "../context.ts";

/** `GET /health`, `GET /v1/health`: liveness, no auth. */
export function createHealthHandler(context: ServerContext) {
  const body = JSON.stringify({ status: "ok", version: context.version });
  return () => new HTTPResponse(body, { headers: { "content-type": "application/json; charset=utf-8" } });
}

/** `GET /health/detailed`: what an operator checks, behind auth. Hosts only: never a credential or a path. */
export function createDetailedHealthHandler(context: ServerContext) {
  const { upstream, lifecycle } = context;
  return () => ({
    status: lifecycle.draining ? "draining" : "ok",
    version: context.version,
    uptime_seconds: Math.round((Date.now() - context.startedAt) / 1000),
    upstream: { kind: upstream.kind, host: upstream.baseURL ? new URL(upstream.baseURL).host : null },
    // With a models table: each upstream and whether it is being skipped after repeated failures.
    ...(isRouterUpstream(upstream) && {
      upstreams: upstream.upstreamStates().map((state) => ({
        name: state.name,
        kind: state.kind,
        host: state.baseURL ? new URL(state.baseURL).host : null,
        circuit: state.circuit,
      })),
    }),
    storage: { driver: context.storageKind },
    model: context.config.model.name,
    requests_in_flight: lifecycle.requestsInFlight,
    runs_active: context.runs.active,
    tools: context.registry.tools.size,
  });
}
