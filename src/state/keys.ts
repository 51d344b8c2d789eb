/**
 * Every storage key is built here. unstorage treats `:` and `/` as namespace separators and the fs
 * driver maps them onto directories, so an id taken from a client is encoded into one inert segment:
 * it can never reach outside its store's prefix.
 */
export function keySegment(id: string): string {
  return encodeURIComponent(id).replaceAll(".", "%2E").replaceAll("*", "%2A");
}

export const keys = {
  session: (id: string) => `sessions:${keySegment(id)}`,
  idempotency: (scope: string, digest: string) => `idempotency:${scope}:${digest}`,
  response: (id: string) => `responses:${keySegment(id)}`,
  conversation: (name: string) => `conversations:${keySegment(name)}`,
  /** The namespace a plugin's `context.storage` is confined to. */
  plugin: (name: string) => `plugins:${keySegment(name)}`,
  run: (id: string) => `runs:${keySegment(id)}`,
  /** Every run record, for the retention sweep. */
  runs: () => "runs:",
  /** One event of a run's log; the sequence is zero-padded so that key order is log order. */
  runEvent: (id: string, sequence: number) => `run-events:${keySegment(id)}:${String(sequence).padStart(8, "0")}`,
  runEvents: (id: string) => `run-events:${keySegment(id)}:`,
} as const;
