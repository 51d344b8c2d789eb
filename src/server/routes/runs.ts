import type { H3Event } from "h3";
import { getRouterParam } from "h3";
import { HermesError, toErrorInfo } from "../../protocol/index.ts";
import { decodeApprovalRequest, decodeRunRequest, encodeRunStatus, runEventFrame, STREAM_CLOSED_FRAME, streamInterruptedFrame } from "../../wire/runs/index.ts";
import { readJsonBody } from "../body.ts";
import type { ServerContext } from "../context.ts";
import { idempotencyKey, idempotentJson } from "../idempotency-key.ts";
import { prepareApiRun } from "../../runtime/turns/api-run.ts";
import { requestIdOf } from "../request-id.ts";
import { requestedSessionKey } from "../session-key.ts";
import { sseResponse } from "../sse-response.ts";
import type { RunLogEntry } from "../../state/runs.ts";

const notFound = (id: string) => new HermesError(`Run not found: ${id}`, { status: 404, code: "run_not_found", param: "run_id" });

/**
 * `POST /v1/runs`: validates, resolves the history, starts a detached run and answers 202 at once.
 * With `Idempotency-Key`, a retry with the same body gets the same run instead of a second one.
 */
export function createStartRunHandler(context: ServerContext) {
  return async (event: H3Event) => {
    const key = idempotencyKey(event);
    const { json, text } = await readJsonBody(event, context.config.server.bodyLimit);
    const sessionKey = requestedSessionKey(event, Boolean(context.config.server.apiKey));
    const startRun = prepareApiRun(context, decodeRunRequest(json), requestIdOf(event), sessionKey);
    const start = async () => {
      const record = await startRun();
      // The original server's answer: `started` (the run is accepted and under way; `GET` says where it is).
      return { status: 202, body: { run_id: record.id, status: "started" }, headers: { location: `/v1/runs/${record.id}` } };
    };
    return idempotentJson(context.idempotency, "runs", key, text, start);
  };
}

/** `GET /v1/runs/{id}`: the status object. */
export function createRunStatusHandler(context: ServerContext) {
  return async (event: H3Event) => {
    const id = getRouterParam(event, "id") ?? "";
    const record = await context.runs.get(id);
    if (!record) throw notFound(id);
    return encodeRunStatus(record);
  };
}

/**
 * `GET /v1/runs/{id}/events`: the run's events as SSE. `Last-Event-ID` (or `?after=`) resumes after
 * that event; a late subscriber gets the whole log within the retention time, then the live events.
 */
export function createRunEventsHandler(context: ServerContext) {
  return async (event: H3Event) => {
    const id = getRouterParam(event, "id") ?? "";
    const after = lastEventId(event);
    const entries = await context.runs.follow(id, after);
    if (!entries) throw notFound(id);
    return sseResponse({
      source: entries,
      frame: (entry: RunLogEntry) => runEventFrame(entry.sequence, JSON.stringify(entry.payload)),
      closing: STREAM_CLOSED_FRAME,
      failed: (error) => streamInterruptedFrame(toErrorInfo(error).code),
      keepaliveMs: context.config.server.keepaliveMs,
    });
  };
}

/** `POST /v1/runs/{id}/stop` (and `/cancel`): 200 `stopping` at once; the run settles as `cancelled`. */
export function createStopRunHandler(context: ServerContext) {
  return async (event: H3Event) => context.runs.stop(getRouterParam(event, "id") ?? "");
}

/** `POST /v1/runs/{id}/approval`: answers the oldest pending approval (`all` answers every one). */
export function createRunApprovalHandler(context: ServerContext) {
  return async (event: H3Event) => {
    const id = getRouterParam(event, "id") ?? "";
    const { json } = await readJsonBody(event, context.config.server.bodyLimit);
    const { choice, all } = decodeApprovalRequest(json);
    return context.runs.respond(id, choice, all);
  };
}

function lastEventId(event: H3Event): number {
  const raw = event.req.headers.get("last-event-id") ?? event.url.searchParams.get("after");
  if (raw === null || raw.trim() === "") return 0;
  const value = Number(raw.trim());
  if (!Number.isInteger(value) || value < 0)
    throw new HermesError("Last-Event-ID must be the id of an event of this run (a whole number)", {
      status: 400,
      code: "invalid_last_event_id",
      param: "Last-Event-ID",
    });
  return value;
}
