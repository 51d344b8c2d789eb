/**
 * Runs SSE framing, as the original server writes it: `data:` only, no `event:` line (the name is the
 * payload's `event` field), plus an `id:` so that a reconnecting client sends `Last-Event-ID`.
 */
export function runEventFrame(sequence: number, json: string): string {
  return `id: ${sequence}\ndata: ${json}\n\n`;
}

/** The comment the original server writes before ending a run's stream. */
export const STREAM_CLOSED_FRAME = ": stream closed\n\n";

/**
 * Ends a run's stream that could not go on (the storage it reads went away) instead of
 * `: stream closed`: the run may still be going, and `Last-Event-ID` resumes it where it stopped.
 */
export function streamInterruptedFrame(code: string | null): string {
  return `: stream interrupted (${code ?? "internal_error"}); reconnect with Last-Event-ID to resume\n\n`;
}
