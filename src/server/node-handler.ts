import { type H3, toNodeHandler } from "h3";

/**
 * The app as a Node `http` request listener, for `http.createServer`. Here rather than in
 * `src/index.ts` so that `src/server` stays the only place that imports h3.
 */
export function nodeHandler(app: H3): ReturnType<typeof toNodeHandler> {
  return toNodeHandler(app);
}
