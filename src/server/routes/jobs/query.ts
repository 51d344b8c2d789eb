import type { H3Event } from "h3";
import { firesKept } from "../../../jobs/record.ts";
import { HermesError } from "../../../protocol/index.ts";

const badQuery = (name: string, expected: string) =>
  new HermesError(`Invalid query parameter '${name}': expected ${expected}`, { status: 400, code: "invalid_request", param: name });

/** `true`/`1` or `false`/`0` (absent or empty: false), as the original server reads `include_disabled`. */
export function booleanQuery(event: H3Event, name: string): boolean {
  const raw = event.url.searchParams.get(name)?.trim().toLowerCase();
  if (raw === undefined || raw === "" || raw === "false" || raw === "0") return false;
  if (raw === "true" || raw === "1") return true;
  throw badQuery(name, "true, 1, false or 0");
}

/** `limit` (1 to the fires kept per job, default 20) and `after` (a fire id, the last of the previous page). */
export function pageQuery(event: H3Event): { limit: number; after: string | undefined } {
  const params = event.url.searchParams;
  const rawLimit = params.get("limit");
  const limit = rawLimit === null || rawLimit === "" ? 20 : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > firesKept) throw badQuery("limit", `a whole number from 1 to ${firesKept}`);
  const after = params.get("after") || undefined;
  return { limit, after };
}
