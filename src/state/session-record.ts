import type { Item, Usage } from "../protocol/index.ts";
import { countMessages, previewOf } from "./session-summary.ts";
import { isObject } from "./records.ts";

/** Where a session came from: the API that recorded its first turn, or the Sessions API itself. */
export type SessionSource = "chat" | "responses" | "runs" | "api" | "fork" | "job";

export interface SessionUsage {
  inputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  totalTokens: number;
}

/**
 * A session's metadata, under `sessions:<id>`: small, rewritten atomically on every turn. Its messages
 * are elsewhere: its own item list under `session-items:<id>`, or — for a Responses session — the
 * chain ending at `headResponseId`, which the response store already holds turn by turn (copying it
 * here would make storage grow with the square of a conversation's length).
 */
export interface SessionRecord {
  id: string;
  source: SessionSource;
  model: string | null;
  title: string | null;
  /** Set by `POST /api/sessions`; sent as instructions on the session's chat turns, never shown. */
  systemPrompt: string | null;
  /** Epoch ms. */
  createdAt: number;
  lastActiveAt: number;
  endedAt: number | null;
  endReason: string | null;
  parentSessionId: string | null;
  messageCount: number;
  toolCallCount: number;
  turnCount: number;
  usage: SessionUsage;
  /** The first user message, at most 80 characters. */
  preview: string | null;
  /** A Responses session: its messages are this response's chain. Null when it holds its own items. */
  headResponseId: string | null;
  expiresAt: number;
}

/** What a turn did to the session's messages. */
export type TurnMessages =
  /** Adds to the history (a continuation, a run, a session chat turn). */
  | { append: readonly Item[] }
  /** The whole history, as a Chat Completions client resends it every turn. */
  | { replace: readonly Item[] }
  /** A stored Responses turn: the history is now the chain ending at `head`, which expands to `chain` (counted, never stored). */
  | { head: string; chain: readonly Item[] };

export interface SessionTurn {
  source: SessionSource;
  model: string;
  usage?: Usage | null | undefined;
  messages: TurnMessages;
}

/** What must happen to the item list after the metadata changed. */
export type ItemsWrite =
  | { kind: "none" }
  | { kind: "replace"; items: readonly Item[] }
  /** `materialise`: the session held a Responses chain; its items become that chain first. */
  | { kind: "append"; items: readonly Item[]; materialise: string | null }
  /** The session now follows a chain: a list it held before is stale. */
  | { kind: "clear" };

const zeroUsage = (): SessionUsage => ({ inputTokens: 0, outputTokens: 0, reasoningTokens: 0, totalTokens: 0 });

/** A session no turn has touched yet. */
export function newSession(
  id: string,
  fields: Partial<Omit<SessionRecord, "id" | "expiresAt">> & { source: SessionSource },
  now: number,
  ttlMs: number,
): SessionRecord {
  return {
    id,
    model: null,
    title: null,
    systemPrompt: null,
    createdAt: now,
    lastActiveAt: now,
    endedAt: null,
    endReason: null,
    parentSessionId: null,
    messageCount: 0,
    toolCallCount: 0,
    turnCount: 0,
    usage: zeroUsage(),
    preview: null,
    headResponseId: null,
    ...fields,
    expiresAt: now + ttlMs,
  };
}

/**
 * One turn applied to the metadata: pure, because `coordination.update` may run it more than once.
 * Counters add up (tokens spent on a branch were still spent); message counts describe the history
 * as it now stands.
 */
export function applyTurn(
  current: SessionRecord | null,
  id: string,
  turn: SessionTurn,
  now: number,
  ttlMs: number,
): { record: SessionRecord; write: ItemsWrite } {
  const base = current ?? newSession(id, { source: turn.source }, now, ttlMs);
  const { messages } = turn;
  let write: ItemsWrite;
  let counts: { messages: number; toolCalls: number };
  let headResponseId: string | null = null;
  // A Chat session is replaced by the history its client resends, whose first user message named it
  // (`deriveSessionId`): its preview is the one it had.
  let preview = base.preview;
  if ("head" in messages) {
    counts = countMessages(messages.chain);
    headResponseId = messages.head;
    preview ??= previewOf(messages.chain);
    write = base.headResponseId === null && current !== null ? { kind: "clear" } : { kind: "none" };
  } else if ("replace" in messages) {
    counts = countMessages(messages.replace);
    preview ??= previewOf(messages.replace);
    write = { kind: "replace", items: messages.replace };
  } else {
    const added = countMessages(messages.append);
    counts = { messages: base.messageCount + added.messages, toolCalls: base.toolCallCount + added.toolCalls };
    preview ??= previewOf(messages.append);
    write = { kind: "append", items: messages.append, materialise: base.headResponseId };
  }
  // Written out rather than spread: a turn builds one of these per write, on the request path.
  const record: SessionRecord = {
    id: base.id,
    source: base.source,
    model: turn.model,
    title: base.title,
    systemPrompt: base.systemPrompt,
    createdAt: base.createdAt,
    lastActiveAt: now,
    endedAt: base.endedAt,
    endReason: base.endReason,
    parentSessionId: base.parentSessionId,
    messageCount: counts.messages,
    toolCallCount: counts.toolCalls,
    turnCount: base.turnCount + 1,
    usage: addUsage(base.usage, turn.usage),
    preview,
    headResponseId,
    expiresAt: now + ttlMs,
  };
  return { record, write };
}

function addUsage(total: SessionUsage, usage: Usage | null | undefined): SessionUsage {
  if (!usage) return total;
  return {
    inputTokens: total.inputTokens + usage.inputTokens,
    outputTokens: total.outputTokens + usage.outputTokens,
    reasoningTokens: total.reasoningTokens + (usage.reasoningTokens ?? 0),
    totalTokens: total.totalTokens + usage.totalTokens,
  };
}

/** A stored value that is a session's metadata; anything else (a torn write, a foreign value) is not. */
export function isSessionRecord(value: unknown): value is SessionRecord {
  return (
    isObject(value) &&
    typeof value.id === "string" &&
    typeof value.source === "string" &&
    typeof value.lastActiveAt === "number" &&
    typeof value.messageCount === "number" &&
    isObject(value.usage) &&
    (value.headResponseId === null || typeof value.headResponseId === "string")
  );
}
