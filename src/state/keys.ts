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
} as const;
