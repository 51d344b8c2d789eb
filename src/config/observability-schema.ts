import { z } from "zod";

/** `GET /metrics` in the Prometheus text format; off unless enabled. */
export const metricsConfigSchema = z.strictObject({
  /** Count requests, upstream calls, tokens, tool calls and storage operations, and serve them. @default false */
  enabled: z.boolean().default(false),
  /**
   * Serve `/metrics` on this port instead of the main one, without the API key (for a scraper on a
   * private network); the main port then has no `/metrics`. Unset: on the main port, behind the key.
   */
  port: z.number().int().min(0).max(65535).optional(),
  /** Address of the metrics port. @default "127.0.0.1" */
  host: z.string().min(1).default("127.0.0.1"),
  /** Also the Node process's own metrics (CPU, memory, event loop lag, GC). @default true */
  processMetrics: z.boolean().default(true),
});

/** The request log (one line per request on stdout) and the diagnostic lines on stderr. */
export const logsConfigSchema = z.strictObject({
  /**
   * The least severe diagnostic line written to stderr (`[hermes-proxy] …`: failed saves, hooks that
   * threw, plugins' `context.logger`); one setting per process. Not the request log.
   * @default "info"
   */
  level: z.enum(["debug", "info", "warn", "error"]).default("info"),
  /**
   * One line per request: id, route, model, upstream, status, duration, time to first byte, tokens and
   * the error code; never message contents or keys.
   * @default true under the `hermes-proxy` command, false when embedded with `createHermes` (and in tests)
   */
  requests: z.boolean().optional(),
  /** `json` (one object per line), `pretty` (for a person), or `auto`: pretty on a terminal, else JSON. @default "auto" */
  format: z.enum(["auto", "json", "pretty"]).default("auto"),
  /** For debugging only: add the last user message and the answer's text, cut to 500 characters each. @default false */
  contents: z.boolean().default(false),
});
