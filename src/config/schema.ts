import { z } from "zod";
import { jobsConfigSchema } from "./jobs-schema.ts";
import { logsConfigSchema, metricsConfigSchema } from "./observability-schema.ts";
import { pluginsConfigSchema } from "./plugins-schema.ts";
import { retentionConfigSchema } from "./retention-schema.ts";
import { checkRouting, modelsConfigSchema, routingConfigSchema } from "./routing-schema.ts";

/**
 * The configuration schema: `hermes.config.ts`, the environment and the command line all resolve into
 * it. Objects are strict so that a misspelt field is an error naming the nearest valid one, never a
 * silently ignored setting.
 */

const port = z.number().int().min(0).max(65535);
const positiveMs = z.number().int().positive();

export const serverConfigSchema = z.strictObject({
  /** @default 8642 */
  port: port.default(8642),
  /** Loopback by default; any other address requires a strong `apiKey`. @default "127.0.0.1" */
  host: z.string().min(1).default("127.0.0.1"),
  /** Bearer key clients must send. Required for non-loopback binds and for session continuation. */
  apiKey: z.string().optional(),
  cors: z
    .strictObject({
      /** Browser origins allowed to call the proxy; `*` allows any. @default [] */
      origins: z.array(z.string().min(1)).default([]),
    })
    .prefault({}),
  /**
   * Largest accepted request body in bytes: the original server's 10 MB, room for a base64 image of
   * about 7 MB (1 MB refused images past ~0.7 MB). @default 10_000_000
   */
  bodyLimit: z.number().int().positive().default(10_000_000),
  /** How long shutdown waits for in-flight requests before ending streams with an error frame. @default 10_000 */
  shutdownTimeoutMs: positiveMs.default(10_000),
  /** An idle SSE stream gets a `: keepalive` comment this often. @default 15_000 */
  keepaliveMs: positiveMs.default(15_000),
  /**
   * Time a client has to send a request's headers, counted from its connection (or from the start of
   * its next request on a kept-alive one); past it the connection gets 408 `request_timeout` and is
   * closed. A silent or trickling connection cannot hold a socket longer than this. @default 15_000
   */
  headersTimeoutMs: positiveMs.default(15_000),
  /**
   * Time a client has to send a whole request, headers and body; at least `headersTimeoutMs`. Only
   * receiving the request counts: the answer, a stream of any length included, is not cut by it.
   * @default 30_000
   */
  requestTimeoutMs: positiveMs.default(30_000),
  /** How long a keep-alive connection may sit idle between two requests before it is closed. @default 5_000 */
  keepAliveTimeoutMs: positiveMs.default(5_000),
  /**
   * Client connections open at once; past it a new connection is closed as soon as it is accepted, so
   * that sockets never use up the process's file descriptors (the upstream and the storage need some).
   * @default half the process's open-file limit less 64, at most 10_000 (1_000 where the limit cannot be read)
   */
  maxConnections: z.number().int().positive().optional(),
  /**
   * Serve HTTPS (HTTP/1.1 over TLS) directly, without a reverse proxy in front. Each value is a file
   * path (relative to the working directory) or the PEM text itself, as srvx's `tls` option takes them.
   * Unset: plain HTTP.
   */
  tls: z
    .strictObject({
      /** The certificate chain, leaf first: `./cert.pem` or `-----BEGIN CERTIFICATE-----…`. */
      cert: z.string().trim().min(1),
      /** Its private key, unencrypted: `./key.pem` or `-----BEGIN PRIVATE KEY-----…`. Never printed by `check`. */
      key: z.string().trim().min(1),
    })
    .optional(),
});

/** Node refuses a headers timeout longer than the whole request's: said at load time, with the fields' names. */
function checkServer(config: { server: z.output<typeof serverConfigSchema> }, context: z.RefinementCtx): void {
  const { headersTimeoutMs, requestTimeoutMs } = config.server;
  if (headersTimeoutMs > requestTimeoutMs)
    context.addIssue({ code: "custom", path: ["server", "headersTimeoutMs"], message: `must not exceed server.requestTimeoutMs (${requestTimeoutMs})` });
}

export const upstreamConfigSchema = z.strictObject({
  /** An OpenAI-compatible base URL such as `https://api.openai.com/v1`. Unset: the embedded echo upstream. */
  baseURL: z.url({ protocol: /^https?$/ }).optional(),
  apiKey: z.string().optional(),
  /** Every request goes to this model when set; otherwise the client's `model` goes upstream as sent. */
  model: z.string().min(1).optional(),
  /**
   * Without `model`: the upstream model that the advertised name (`model.name`), its aliases and a
   * request naming no model go to; any other name still goes upstream as sent. Unset, those names
   * are a 400 `model_not_configured`. Set to `gpt-4o-mini` when the upstream key comes from
   * `OPENAI_API_KEY` (the OpenAI SDK's environment) and neither this nor `model` is set.
   */
  defaultModel: z.string().min(1).optional(),
  /** Which API the upstream speaks. @default "chat" */
  api: z.enum(["chat", "responses"]).default("chat"),
  /** Time to open a connection. @default 10_000 */
  connectTimeoutMs: positiveMs.default(10_000),
  /** Time from sending the request to the response headers. @default 120_000 */
  headersTimeoutMs: positiveMs.default(120_000),
  /** Longest silence allowed between two pieces of a response body. @default 120_000 */
  idleTimeoutMs: positiveMs.default(120_000),
  /**
   * Time a call asked for without streaming (for a client that did not stream) has to answer: such an
   * upstream sends its headers only once the whole answer is generated, so this is the longest
   * generation a non-stream client can get. @default 600_000
   */
  generationTimeoutMs: positiveMs.default(600_000),
  /**
   * Largest upstream response body in bytes: a JSON answer, or the whole of a stream. Past it the call
   * fails with 502 `upstream_response_too_large` and the connection is closed; a model answer is a
   * small fraction of this. @default 33_554_432 (32 MiB)
   */
  maxResponseBytes: z.number().int().positive().default(33_554_432),
  /** Retries on 429, 5xx and connection errors before the first byte. @default 2 */
  maxRetries: z.number().int().min(0).max(10).default(2),
  /** First retry delay; doubled each time, unless the upstream sends `Retry-After`. @default 250 */
  retryDelayMs: positiveMs.default(250),
  /** Extra headers sent with every upstream request, such as `{ "HTTP-Referer": "https://example.com" }`. */
  headers: z.record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { message: "expected an HTTP header name" }), z.string()).optional(),
});

/** One of several named upstreams (`upstreams.<name>`): the `upstream` block's fields, `baseURL` required, no `model` or `defaultModel`. */
export const namedUpstreamConfigSchema = upstreamConfigSchema.omit({ model: true, defaultModel: true }).extend({
  baseURL: z.url({ protocol: /^https?$/ }),
});

export const modelConfigSchema = z.strictObject({
  /** The model name `/v1/models` advertises. @default "hermes-agent" */
  name: z.string().min(1).default("hermes-agent"),
  /** More names `/v1/models` lists; requests for them go to the same upstream model. @default [] */
  aliases: z.array(z.string().min(1)).default([]),
});

export const agentConfigSchema = z.strictObject({
  /** The core system prompt, layered under the client's own system messages. */
  systemPrompt: z.string().optional(),
  /** Upstream calls one run may make before it stops as `incomplete`. @default 90 */
  maxIterations: z.number().int().positive().default(90),
  /** Longest time one server tool call may take, unless the tool sets its own `timeoutMs`. @default 60_000 */
  toolTimeoutMs: positiveMs.default(60_000),
  /** Runs API runs that may be live at once; one more is a 429 `rate_limit_exceeded`. @default 10 */
  maxConcurrentRuns: z.number().int().positive().default(10),
  /** How long a finished run and its event log stay readable (`GET /v1/runs/{id}`, replay). @default 3_600_000 (1 hour) */
  runRetentionMs: positiveMs.default(3_600_000),
  /**
   * A live run's lease: its process renews it every third of this; when the process dies, another one
   * on the same Redis settles the run as `failed` (`run_abandoned`) within 4/3 of it. Also how long a
   * run's events may wait for a storage that is down before the run fails. @default 15_000
   */
  runLeaseMs: positiveMs.min(300).default(15_000),
  /** The upstream model's context, in tokens: `truncation: "auto"` drops the oldest turns to fit it. @default 128_000 */
  contextTokens: z.number().int().positive().default(128_000),
  /**
   * A hosted tool a client sends (`{ "type": "web_search" }`, …) that the upstream cannot run (a Chat
   * Completions upstream) and no plugin claims: `drop` leaves it out of the upstream request, says so in
   * the `X-Hermes-Dropped-Tools` response header and logs one warning; `error` answers 400
   * `unsupported_tool` naming it. @default "drop"
   */
  unsupportedHostedTools: z.enum(["drop", "error"]).default("drop"),
});

/** The proxy as an MCP server (`/mcp`): what it serves to MCP clients. */
export const mcpConfigSchema = z.strictObject({
  /**
   * Answer MCP (Streamable HTTP) at `/mcp`, behind the same bearer key, listing the plugins' server
   * tools so that an MCP client (Claude Desktop, Codex, an IDE) can call them. Needs the
   * `@modelcontextprotocol/sdk` package. @default false
   */
  serve: z.boolean().default(false),
  /**
   * Also list the tools this proxy takes from other MCP servers (those plugins list while running,
   * as the `mcp` plugin does). Off, an MCP client sees only the proxy's own tool plugins. @default false
   */
  relay: z.boolean().default(false),
});

/** `memory`, `fs:<dir>`, `sqlite:<file>`, or `redis://host:port/db` (`rediss://` for TLS, `?prefix=` for the key prefix). */
export const storageConfigSchema = z.string().regex(/^(?:memory|fs:.+|sqlite:.+|rediss?:\/\/.+)$/, {
  message: 'expected "memory", "fs:<dir>", "sqlite:<file>" or "redis://host:port/db"',
});

export const hermesConfigSchema = z
  .strictObject({
    server: serverConfigSchema.prefault({}),
    upstream: upstreamConfigSchema.prefault({}),
    model: modelConfigSchema.prefault({}),
    agent: agentConfigSchema.prefault({}),
    /**
     * Where state lives. Unset: a storage plugin from `plugins` if there is one, else `fs:$HERMES_HOME`,
     * else `fs:.hermes`. Set (here or by `HERMES_STORAGE`), it wins over a storage plugin.
     */
    storage: storageConfigSchema.optional(),
    /** Time to live and size bound of each store. */
    retention: retentionConfigSchema.prefault({}),
    /**
     * Plugins: `definePlugin(...)`, `defineTool(...)` or `defineStorage(...)` values, as imported from
     * their files or packages. Falsy entries and nested lists are allowed and flattened.
     * @default []
     */
    plugins: pluginsConfigSchema,
    /** More upstreams by name, for the `models` table; each as `upstream`, with `baseURL` required. @default {} */
    upstreams: z
      .record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { message: "expected 1-64 letters, digits, _, . or -" }), namedUpstreamConfigSchema)
      .default({}),
    /** Advertised model name → upstream, model, fallbacks and defaults; see `routing-schema.ts`. @default {} */
    models: modelsConfigSchema,
    /** How the `models` table treats unknown models, failures and failing upstreams. */
    routing: routingConfigSchema.prefault({}),
    /** Prometheus metrics at `GET /metrics`. */
    metrics: metricsConfigSchema.prefault({}),
    /** The one-line-per-request log. */
    logs: logsConfigSchema.prefault({}),
    /** Scheduled runs: the `/api/jobs` API and its scheduler. */
    jobs: jobsConfigSchema,
    /** The proxy as an MCP server: its plugins' server tools to MCP clients (docs/mcp.md). */
    mcp: mcpConfigSchema.prefault({}),
  })
  .superRefine(checkRouting)
  .superRefine(checkServer);

/** What a user writes in `hermes.config.ts`: every field optional. */
export type HermesUserConfig = z.input<typeof hermesConfigSchema>;
/** The resolved configuration, defaults applied. */
export type HermesConfig = z.output<typeof hermesConfigSchema>;
