import { randomId } from "../../utils/index.ts";
import type { HermesEvent } from "../../protocol/index.ts";
import type { NewId } from "../../utils/index.ts";
import { upstreamError } from "../http-errors.ts";
import { ResponsesStreamDecoder } from "./decode-stream.ts";
import { responseSchema } from "./schema.ts";

/**
 * A non-stream Responses API body to the same events a stream of it would give: the body is fed to
 * the stream decoder as the terminal event of a stream that sent nothing else, which replays its
 * output items whole, so both paths share every rule. Pure.
 */
export function decodeResponsesJson(body: unknown, newId: NewId = randomId): HermesEvent[] {
  const parsed = responseSchema.safeParse(body);
  if (!parsed.success || (!Array.isArray(parsed.data.output) && parsed.data.status !== "failed")) {
    // Some gateways answer 200 with an error envelope; its message says more than "unreadable".
    const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
    throw upstreamError(typeof message === "string" ? `The upstream failed: ${message}` : "The upstream sent an unreadable response", parsed.error);
  }
  const decoder = new ResponsesStreamDecoder(newId);
  const events: HermesEvent[] = [];
  decoder.push({ type: terminalEvent(parsed.data.status), response: parsed.data }, events);
  decoder.end();
  return events;
}

/** The terminal stream event a final status stands for; a body without one is taken as completed. */
function terminalEvent(status: string | null | undefined): string {
  switch (status ?? "completed") {
    case "completed":
      return "response.completed";
    case "incomplete":
      return "response.incomplete";
    case "failed":
    case "cancelled":
      return "response.failed";
    default:
      // `queued` or `in_progress`: a background response, which we never ask for.
      throw upstreamError(`The upstream answered with an unfinished response (status ${status})`);
  }
}
