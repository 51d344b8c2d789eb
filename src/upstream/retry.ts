import { setTimeout as delay } from "node:timers/promises";

/**
 * Longest `Retry-After` worth waiting for inside one request. Beyond it the error goes back to the
 * client at once (with the header passed on): a chat frontend waiting minutes in silence is worse
 * than a 429 it can show.
 */
export const maxRetryAfterMs = 30_000;

/** Statuses retried before the body starts; the same set openai-node retries, minus the odd ones. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * The wait the upstream asked for, in ms: OpenAI's `retry-after-ms`, else `Retry-After` as seconds
 * or an HTTP date. `undefined` when absent or unreadable.
 */
export function retryAfterMs(headers: Record<string, string | string[] | undefined>, now = Date.now()): number | undefined {
  const ms = Number(first(headers["retry-after-ms"]));
  if (first(headers["retry-after-ms"]) !== undefined && Number.isFinite(ms) && ms >= 0) return ms;
  const value = first(headers["retry-after"]);
  if (value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential backoff from `baseMs`, with up to 25 % jitter down so that clients do not retry in step. */
export function backoffMs(attempt: number, baseMs: number): number {
  const capped = Math.min(baseMs * 2 ** attempt, 8_000 + baseMs);
  return Math.round(capped * (1 - Math.random() * 0.25));
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export async function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : undefined);
  } catch (error) {
    throw signal?.aborted ? signal.reason : error;
  }
}

export function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
