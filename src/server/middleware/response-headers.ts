import type { H3Event } from "h3";

/**
 * Sets a header on the response whatever it turns out to be, errors included. Under Node the header
 * goes straight onto the `ServerResponse`, which merges it into the final `writeHead`: touching
 * `event.res.headers` instead makes h3 build a web `Headers` and merge it into every response (1-2 %
 * of a proxied request's CPU). The web fetch handler has no Node response and keeps h3's way.
 */
export function responseHeaderSetter(event: H3Event): (name: string, value: string) => void {
  const nodeResponse = event.runtime?.node?.res;
  if (nodeResponse) return (name, value) => void nodeResponse.setHeader(name, value);
  const headers = event.res.headers;
  return (name, value) => headers.set(name, value);
}
