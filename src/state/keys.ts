import { createHash } from "node:crypto";

/**
 * Every storage key, index, pool and channel name is built here. unstorage treats `:` and `/` as
 * namespace separators and the fs driver maps them onto directories, so an id taken from a client is
 * encoded into one inert segment: it can never reach outside its store's prefix.
 */
export function keySegment(id: string): string {
  // Most ids (the proxy's own, most clients') are letters, digits, `-` and `_`: their own encoding.
  if (plainSegment.test(id)) return id;
  const segment = encodeText(id).replaceAll(".", "%2E").replaceAll("*", "%2A");
  // A file name is 255 bytes at most: a long id (a 256-character session id, or a shorter one that
  // encoding tripled) would make the fs driver throw ENAMETOOLONG, a 500 for the client. `%h` never
  // starts an encoding (`%` is always followed by two hex digits or by `u`), so no id can collide.
  return segment.length <= maxSegmentChars ? segment : `%h${createHash("sha256").update(segment).digest("hex")}`;
}

const maxSegmentChars = 160;

/** An id that encodes to itself and fits in one segment. */
const plainSegment = /^[\w-]{1,160}$/;

/** A lone surrogate, which JSON can carry (`"\ud800"`) and `encodeURIComponent` throws on. */
const loneSurrogate = /([\uD800-\uDFFF])/u;

/**
 * `encodeURIComponent`, with lone surrogates written as `%uXXXX`: never a throw (a 500) on a client's
 * id, and never a collision, since `encodeURIComponent` writes `%` only before two hex digits.
 */
function encodeText(id: string): string {
  if (!loneSurrogate.test(id)) return encodeURIComponent(id);
  return id
    .split(loneSurrogate)
    .map((part, index) => (index % 2 === 1 ? `%u${part.charCodeAt(0).toString(16).toUpperCase()}` : encodeURIComponent(part)))
    .join("");
}

export const keys = {
  /** A session's metadata (what `GET /api/sessions` lists); its messages live apart, under `sessionItems`. */
  session: (id: string) => `sessions:${keySegment(id)}`,
  sessions: () => "sessions:",
  /** A session's own history (chat, runs, API and fork sessions); a Responses session points at its chain instead. */
  sessionItems: (id: string) => `session-items:${keySegment(id)}`,
  /** The same key from a session's metadata key, for eviction: a segment cannot always be decoded (long ids are hashed). */
  sessionItemsAt: (sessionKey: string) => `session-items:${sessionKey.slice("sessions:".length)}`,
  idempotency: (scope: string, digest: string) => `idempotency:${scope}:${digest}`,
  idempotencies: () => "idempotency:",
  response: (id: string) => `responses:${keySegment(id)}`,
  responses: () => "responses:",
  conversation: (id: string) => `conversations:${keySegment(id)}`,
  conversations: () => "conversations:",
  /** A conversation's items: an append-only log (`StorageCoordination.append`), one item per position. */
  conversationItems: (id: string) => `conversation-items:${keySegment(id)}:`,
  /** The same prefix from a conversation's key, for eviction: a segment cannot always be decoded (long ids are hashed). */
  conversationItemsAt: (conversationKey: string) => `conversation-items:${conversationKey.slice("conversations:".length)}:`,
  /** Where a stored item lives (its response, or its conversation and position): `item_reference` in one read. */
  itemLocation: (itemId: string) => `item-index:${keySegment(itemId)}`,
  /** The namespace a plugin's `context.storage` is confined to. */
  plugin: (name: string) => `plugins:${keySegment(name)}`,
  run: (id: string) => `runs:${keySegment(id)}`,
  /** Every run record, for rebuilding the eviction index. */
  runs: () => "runs:",
  /** One event of a run's log; the sequence is zero-padded so that key order is log order. */
  runEvent: (id: string, sequence: number) => `run-events:${keySegment(id)}:${String(sequence).padStart(8, "0")}`,
  runEvents: (id: string) => `run-events:${keySegment(id)}:`,
  /** The same keys from a run record's key, for eviction: a segment cannot always be decoded (long ids are hashed). */
  runEventAt: (runKey: string, sequence: number) => `run-events:${runKey.slice("runs:".length)}:${String(sequence).padStart(8, "0")}`,
  runEventsAt: (runKey: string) => `run-events:${runKey.slice("runs:".length)}:`,
  /**
   * A mark per run or background response this process has live, on a storage one process owns (fs,
   * SQLite): what is still marked at the next start was cut off by a crash and is settled then.
   */
  unfinished: (kind: "runs" | "responses", id: string) => `unfinished:${kind}:${keySegment(id)}`,
  unfinishedOf: (kind: "runs" | "responses") => `unfinished:${kind}:`,
  /** A scheduled job (`/api/jobs`). */
  job: (id: string) => `jobs:${keySegment(id)}`,
  /** Every job, for the scheduler's scan and the list. */
  jobs: () => "jobs:",
  /** One fire of a job; zero-padded like run events so that key order is fire order. */
  jobFire: (jobId: string, sequence: number) => `job-fires:${keySegment(jobId)}:${String(sequence).padStart(8, "0")}`,
  /** What one process's readiness probe writes, reads back and deletes. */
  healthProbe: (instance: string) => `health-probe:${keySegment(instance)}`,
} as const;

/** Eviction indexes, one per store (see `retention.ts`). */
export const indexes = {
  responses: "responses",
  conversations: "conversations",
  sessions: "sessions",
  idempotency: "idempotency",
  runs: "runs",
} as const;

export type StoreName = keyof typeof indexes;

/** Leased slot pools shared by every process on the storage. */
export const pools = {
  /** Live Runs API runs, for `agent.maxConcurrentRuns`. */
  runs: "runs:live",
  /** Live runs' leases, renewed by the process running each; a lapsed one is settled by another process. */
  runLeases: "runs:leases",
} as const;

/** Message channels. */
export const channels = {
  /** A run's events as its owner logs them, for followers on other processes. */
  run: (id: string) => `run:${keySegment(id)}`,
  /** Commands for one process (stop a run, cancel a background response) and their replies. */
  instance: (id: string) => `instance:${keySegment(id)}`,
  /** Ids of deleted responses: every process drops them from its record cache. */
  responsesDeleted: () => "responses:deleted",
  /** Conversation logs an item left (deleted, taken back) or that were deleted: every process drops its cached copy. */
  conversationsChanged: () => "conversations:changed",
} as const;
