/** What a session object is built from: the session's record, whatever stores it (storage keeps its own `SessionRecord`, of this shape). */
export interface SessionView {
  id: string;
  source: string;
  model: string | null;
  title: string | null;
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
  usage: { inputTokens: number; outputTokens: number; reasoningTokens: number; totalTokens: number };
  preview: string | null;
}

/**
 * A session as the original server's Sessions API shows it: only the keys that have a value, times in
 * Unix seconds, token totals flat. The system prompt is never shown, only whether there is one.
 */
export function encodeSession(record: SessionView) {
  const seconds = (ms: number) => Math.floor(ms / 1000);
  return {
    id: record.id,
    source: record.source,
    ...(record.model !== null && { model: record.model }),
    ...(record.title !== null && { title: record.title }),
    started_at: seconds(record.createdAt),
    last_active: seconds(record.lastActiveAt),
    ...(record.endedAt !== null && { ended_at: seconds(record.endedAt) }),
    ...(record.endReason !== null && { end_reason: record.endReason }),
    ...(record.parentSessionId !== null && { parent_session_id: record.parentSessionId }),
    message_count: record.messageCount,
    tool_call_count: record.toolCallCount,
    turn_count: record.turnCount,
    input_tokens: record.usage.inputTokens,
    output_tokens: record.usage.outputTokens,
    reasoning_tokens: record.usage.reasoningTokens,
    total_tokens: record.usage.totalTokens,
    ...(record.preview !== null && { preview: record.preview }),
    has_system_prompt: record.systemPrompt !== null,
  };
}

export type SessionObject = ReturnType<typeof encodeSession>;

/** `{object: "hermes.session", session}`: what create, get, patch and fork answer. */
export function sessionEnvelope(record: SessionView) {
  return { object: "hermes.session" as const, session: encodeSession(record) };
}
