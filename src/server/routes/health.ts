import { HTTPResponse } from "h3";
import { isRouterUpstream } from "../../upstream/router/index.ts";
import type { StorageState } from "../../state/storage-health.ts";
import type { ServerContext } from "../context.ts";

/** `GET /health`, `GET /v1/health`: liveness, no auth. */
export function createHealthHandler(context: ServerContext) {
  const body = JSON.stringify({ status: "ok", version: context.version });
  return () => new HTTPResponse(body, { headers: { "content-type": "application/json; charset=utf-8" } });
}

/**
 * `GET /health/ready`: readiness, no auth. 200 while this instance can serve (its storage answered a
 * write, read and delete just now, within a second); 503 with `Retry-After` while the storage is down
 * or the server drains, so a load balancer stops sending it requests. Liveness stays `/health`: an
 * instance whose storage is down is alive and recovers by itself once the storage is back.
 */
export function createReadyHandler(context: ServerContext) {
  const { lifecycle, storageHealth } = context;
  return async () => {
    const storage = await storageHealth.check();
    const ready = !lifecycle.draining && storage.status === "ok";
    const body = { status: lifecycle.draining ? "draining" : ready ? "ready" : "not_ready", storage: storageState(context, storage) };
    return new HTTPResponse(JSON.stringify(body), {
      status: ready ? 200 : 503,
      headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...(!ready && { "retry-after": "1" }) },
    });
  };
}

/**
 * The storage as the probes report it. The reason it is down only behind auth, and never a path (a
 * file system error names the file: quoted parts are masked); Redis errors name the host, as the
 * banner does.
 */
function storageState(context: ServerContext, state: StorageState, withReason = false) {
  return {
    driver: context.storageKind,
    status: state.status,
    since: new Date(state.since).toISOString(),
    ...(withReason && state.error !== null && { error: state.error.replace(/'[^']*'|"[^"]*"/g, "'…'") }),
  };
}

/** `GET /health/detailed`: what an operator checks, behind auth. Hosts only: never a credential or a path. */
export function createDetailedHealthHandler(context: ServerContext) {
  const { upstream, lifecycle } = context;
  return async () => {
    const storage = await context.storageHealth.check();
    return {
      status: lifecycle.draining ? "draining" : storage.status === "ok" ? "ok" : "degraded",
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
      storage: storageState(context, storage, true),
      model: context.config.model.name,
      requests_in_flight: lifecycle.requestsInFlight,
      runs_active: context.runs.active,
      tools: context.registry.tools.size,
    };
  };
}
