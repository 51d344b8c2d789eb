import { HermesError } from "../protocol/index.ts";
import type { SessionRecord } from "./session-record.ts";

export interface SessionPageRequest {
  limit: number;
  offset: number;
  /** An opaque cursor from a previous page's `nextCursor`: the page starts after that session. */
  after?: string | undefined;
}

export interface SessionPage {
  data: SessionRecord[];
  hasMore: boolean;
  /** Where the next page starts; null on the last page. */
  nextCursor: string | null;
}

/** Most recently active first; ties by id, so the order is total and a cursor is exact. */
function before(a: SessionRecord, b: SessionRecord): number {
  return b.lastActiveAt - a.lastActiveAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * One page of sessions. A cursor names a position in the order (last activity, id), not an index:
 * sessions that become active meanwhile move to the front without shifting the pages after it.
 */
export function pageSessions(records: SessionRecord[], request: SessionPageRequest): SessionPage {
  records.sort(before);
  let start = 0;
  if (request.after !== undefined) {
    const cursor = decodeCursor(request.after);
    const position = { lastActiveAt: cursor.lastActiveAt, id: cursor.id } as SessionRecord;
    start = records.findIndex((record) => before(position, record) < 0);
    if (start < 0) start = records.length;
  }
  start += request.offset;
  const data = records.slice(start, start + request.limit);
  const hasMore = start + request.limit < records.length;
  const last = data.at(-1);
  return { data, hasMore, nextCursor: hasMore && last ? encodeCursor(last) : null };
}

function encodeCursor(record: SessionRecord): string {
  return Buffer.from(JSON.stringify([record.lastActiveAt, record.id])).toString("base64url");
}

function decodeCursor(cursor: string): { lastActiveAt: number; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === "number" && typeof value[1] === "string")
      return { lastActiveAt: value[0], id: value[1] };
  } catch {
    // Falls through to the 400 below.
  }
  throw new HermesError("'after' must be a cursor from a previous page's next_cursor", { status: 400, code: "invalid_pagination", param: "after" });
}
