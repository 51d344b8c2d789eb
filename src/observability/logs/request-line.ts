import type { RequestInfo, RequestSummary } from "../../plugin-api/index.ts";
import type { RequestContents } from "../request-tracker.ts";

export type LogFormat = "json" | "pretty";

/**
 * One request as one log line: id, method, route, format, model, upstream, status, duration, time to
 * first byte, tokens, and the error code. Never a header, a key or (unless `contents` is given, for
 * debugging) a message. JSON for log collectors; `pretty` for a person at a terminal.
 *
 * @example
 * formatRequestLine(request, summary, undefined, "json");
 * // {"time":"…","level":"info","msg":"request","request_id":"req_…","method":"POST","route":"/v1/chat/completions",…}
 */
export function formatRequestLine(request: RequestInfo, summary: RequestSummary, contents: RequestContents | undefined, format: LogFormat): string {
  return format === "json" ? jsonLine(request, summary, contents) : prettyLine(request, summary, contents);
}

function jsonLine(request: RequestInfo, summary: RequestSummary, contents: RequestContents | undefined): string {
  // Written field by field rather than JSON.stringify of an object: the same text (a field whose value
  // is undefined is left out) without building the object, on a line written for every request.
  let line = `{"time":"${new Date(request.startedAt).toISOString()}","level":"${levelOf(summary.status)}","msg":"request"`;
  line += field("request_id", request.id);
  line += field("method", request.method);
  line += field("route", request.route);
  line += field("format", request.format);
  line += field("model", summary.model);
  line += field("upstream", summary.upstream);
  line += field("status", summary.status);
  line += field("duration_ms", round(summary.durationMs));
  line += field("ttfb_ms", summary.firstByteMs === undefined ? undefined : round(summary.firstByteMs));
  line += field("input_tokens", summary.usage?.inputTokens);
  line += field("output_tokens", summary.usage?.outputTokens);
  line += field("streamed", summary.streamed || undefined);
  line += field("error_code", summary.errorCode);
  line += field("error_param", summary.errorParam);
  if (contents) {
    line += field("input", contents.input);
    line += field("output", contents.output);
  }
  return `${line}}`;
}

/** `,"name":value` as JSON, or nothing for undefined. */
function field(name: string, value: string | number | boolean | undefined): string {
  if (value === undefined) return "";
  // Only a string needs JSON's escaping; a finite number or a boolean is its own JSON text.
  const json = typeof value === "string" || (typeof value === "number" && !Number.isFinite(value)) ? JSON.stringify(value) : String(value);
  return `,"${name}":${json}`;
}

function prettyLine(request: RequestInfo, summary: RequestSummary, contents: RequestContents | undefined): string {
  const time = new Date(request.startedAt).toISOString().slice(11, 23);
  const parts = [time, request.method, request.route, String(summary.status), `${round(summary.durationMs)}ms`];
  if (summary.firstByteMs !== undefined && summary.streamed) parts.push(`(first byte ${round(summary.firstByteMs)}ms)`);
  if (summary.model !== undefined) parts.push(summary.upstream === undefined ? summary.model : `${summary.model} via ${summary.upstream}`);
  if (summary.usage) parts.push(`${summary.usage.inputTokens}→${summary.usage.outputTokens} tokens`);
  if (summary.errorCode !== undefined)
    parts.push(summary.errorParam === undefined ? `[${summary.errorCode}]` : `[${summary.errorCode} at ${summary.errorParam}]`);
  parts.push(request.id);
  let line = parts.join(" ");
  if (contents?.input !== undefined) line += `\n  > ${contents.input.replaceAll("\n", " ")}`;
  if (contents?.output !== undefined) line += `\n  < ${contents.output.replaceAll("\n", " ")}`;
  return line;
}

function levelOf(status: number): "info" | "warn" | "error" {
  if (status >= 500) return "error";
  if (status >= 400 && status !== 499) return "warn";
  return "info";
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
