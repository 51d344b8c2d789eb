import type { Driver, Storage } from "unstorage";
import type { z } from "zod";
import type { StorageCoordination } from "./coordination.ts";
import type { HermesEvent, TerminalEvent } from "../protocol/events.ts";
import type { RequestInfo, RequestSummary, StorageOperationInfo, ToolCallInfo, UpstreamCall, UpstreamCallResult } from "./observe.ts";
import type { RunInput } from "../protocol/run-input.ts";

/**
 * The contract between the host and its plugins: what `definePlugin`, `defineTool` and `defineStorage`
 * (in `sdk/`) return, and what the host hands a tool when it runs it. Part of the spec: the agent loop,
 * the plugin loader and the SDK all read these shapes, so a change here is a change to all three.
 */

/**
 * A JSON value: what a tool may return besides text.
 *
 * @example
 * const result: JsonValue = { city: "Lyon", temperature: 18, tags: ["mild"] };
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * What a tool's `execute` may return: text as is, anything else as JSON (`JSON.stringify`, so
 * undefined fields are left out; a value JSON cannot hold is an error output).
 *
 * @example
 * execute: () => ({ ok: true }) // the model reads {"ok":true}
 */
export type ToolResult = string | number | boolean | null | object | undefined | void;

/**
 * A logger a plugin writes to; lines are prefixed with the plugin's name.
 *
 * @example
 * context.logger.warn("rate limited by the weather API", { retryAfter: 30 });
 */
export interface PluginLogger {
  debug(message: string, details?: Record<string, unknown>): void;
  info(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
  error(message: string, details?: Record<string, unknown>): void;
}

/**
 * What a tool's `execute` receives beside its arguments.
 *
 * @example
 * async execute({ url }, { signal, storage, logger, sessionId }) {
 *   const cached = await storage.getItem<string>(`pages:${sessionId}:${url}`);
 *   if (cached) return cached;
 *   logger.info("fetching", { url });
 *   return await (await fetch(url, { signal })).text();
 * }
 */
export interface ToolContext {
  /** Aborted when the run is cancelled, the client goes away, or the tool's time runs out. */
  signal: AbortSignal;
  /** The proxy's storage, namespaced to the plugin: keys cannot reach another plugin's or the proxy's own. */
  storage: Storage;
  logger: PluginLogger;
  runId: string;
  /** The conversation's session, when the request has one. */
  sessionId: string | undefined;
  /**
   * The client's long-term scope, `X-Hermes-Session-Key` as the request sent it (the original server
   * hands it to memory providers): what a tool that remembers across conversations keys by, else
   * `sessionId`. Absent when the request sent none.
   */
  sessionKey?: string | undefined;
  /** The id the model gave this call. */
  callId: string;
  /**
   * Tells the client how far the call has got: a `tool.progress` event in every wire format (Chat's
   * `hermes.tool.progress`, the Runs API's `tool.progress`, …). Cheap; calls after the tool returned are dropped.
   */
  progress(update: ToolProgress): void;
}

/**
 * One progress report of a running tool, as MCP's `notifications/progress` carries it.
 *
 * @example
 * context.progress({ progress: 3, total: 10, message: "Indexed 3 of 10 files" });
 */
export interface ToolProgress {
  /** Grows with each report; a count or a fraction. */
  progress: number;
  /** What `progress` will reach, when known. */
  total?: number | undefined;
  /** A short human line about the current step. */
  message?: string | undefined;
}

/**
 * A callback typed per tool that still fits a list of tools of any parameters (`HermesTool[]`): method
 * parameters are compared bivariantly, function-typed properties are not.
 */
type ToolCallback<Args, Result> = { callback(args: Args): Result }["callback"];

/**
 * A server-side tool, as `defineTool` returns it.
 *
 * @example
 * const tool: HermesTool = defineTool({ name: "ping", description: "Answers pong", execute: () => "pong" });
 */
export interface HermesTool<Parameters extends z.ZodType = z.ZodType> {
  readonly kind: "tool";
  /** What the model calls it: letters, digits, `_` and `-`, at most 64 characters. */
  readonly name: string;
  /** What the model reads to decide when to call it. */
  readonly description: string;
  readonly parameters: Parameters;
  /** The JSON Schema of `parameters` (input side) sent upstream, computed once by `defineTool`. */
  readonly jsonSchema: Record<string, unknown>;
  execute(args: z.output<Parameters>, context: ToolContext): ToolResult | Promise<ToolResult>;
  /** Shown by progress UIs beside the tool's activity. */
  readonly emoji?: string | undefined;
  /** A short human description of one call, for progress UIs: `Fetching example.com`. */
  readonly label?: ToolCallback<z.output<Parameters>, string> | undefined;
  /** Longest time one call may take before it is aborted and its output is an error. */
  readonly timeoutMs?: number | undefined;
  /** Ask a person before running (Runs API); refused on APIs that cannot ask. */
  readonly needsApproval?: boolean | ToolCallback<z.output<Parameters>, boolean> | undefined;
  /**
   * The hosted tool type this tool runs for clients that ask for it (`"web_search"`): over an upstream
   * that cannot run hosted tools, a client's `{ "type": "web_search" }` is answered by this tool.
   */
  readonly hosted?: HostedToolType | undefined;
}

/**
 * A hosted tool type of the Responses API, or any other string a client may send as a tool's `type`.
 *
 * @example
 * const claimed: HostedToolType = "web_search";
 */
export type HostedToolType =
  | "web_search"
  | "web_search_preview"
  | "file_search"
  | "code_interpreter"
  | "image_generation"
  | "mcp"
  | "local_shell"
  | "computer_use_preview"
  | (string & {});

/**
 * A storage driver, as `defineStorage` returns it.
 *
 * @example
 * const storage: HermesStorage = defineStorage({ name: "memory", driver: memoryDriver() });
 */
export interface HermesStorage {
  readonly kind: "storage";
  readonly name: string;
  readonly driver: Driver;
  /** Where the data lives, for the startup banner: a path or a URL with its credentials masked. */
  readonly description?: string | undefined;
  /** Cross-process coordination (atomic updates, eviction indexes, slots, messages); absent: in process only. */
  readonly coordination?: StorageCoordination | undefined;
  /**
   * True while the storage holds more than its bound (the memory storage's `maxBytes`): each write to
   * a retained store then gives up that store's oldest records. Only for a storage without its own
   * coordination (a shared one bounds itself, e.g. Redis's `maxmemory`).
   */
  readonly overBudget?: (() => boolean) | undefined;
  /**
   * True when only this process writes the storage while the proxy runs (the memory map; a SQLite file
   * or an fs directory under its process lock): the in-process coordination then starts an update from
   * the value it last read or wrote, skipping the read. Not for a storage other processes may write.
   */
  readonly exclusive?: boolean | undefined;
}

/**
 * The run a hook observes.
 *
 * @example
 * onRunEnd(run: RunInfo, end) { audit.write({ run: run.runId, session: run.sessionId, model: run.model, status: end.type }); }
 */
export interface RunInfo {
  runId: string;
  sessionId: string | undefined;
  /** `X-Hermes-Session-Key`, when the request sent one (see `ToolContext.sessionKey`). */
  sessionKey?: string | undefined;
  /** The model name reported to the client. */
  model: string;
  input: RunInput;
  /** The id of the request that started the run (`X-Request-Id`), when it came through HTTP. */
  requestId?: string | undefined;
}

/**
 * Hooks on the event stream. A proxy whose plugins define none pays nothing for them.
 *
 * @example
 * const hooks: PluginHooks = {
 *   onRunStart: (run) => { if (run.input.items.length > 500) throw new HermesError("Too long", { status: 400, code: "too_long" }); },
 *   onEvent: (event) => { if (event.type === "tool.completed") metrics.observe(event.name, event.durationMs); },
 *   onRunEnd: (run, end) => console.log(run.runId, end.type),
 * };
 */
export interface PluginHooks {
  /** Before the first upstream call; throwing a HermesError fails the run with it. */
  onRunStart?(run: RunInfo): void | Promise<void>;
  /** Every event of the run, in order. Not awaited: observing never slows the stream. */
  onEvent?(event: HermesEvent, run: RunInfo): void | Promise<void>;
  /** Once, with the terminal event (`run.completed` or `run.failed`). */
  onRunEnd?(run: RunInfo, end: TerminalEvent): void | Promise<void>;
  // The observation hooks below are called synchronously and not awaited; what they throw is logged
  // and ignored. The proxy pays for each only while some plugin defines it.
  /** An HTTP request arrived (every route, health included). */
  onRequestStart?(request: RequestInfo): void;
  /** Its response is over: sent whole, or the stream ended or was cut. */
  onRequestEnd?(request: RequestInfo, summary: RequestSummary): void;
  /** An upstream call starts: one agent step, or one fallback attempt of it. */
  onUpstreamStart?(call: UpstreamCall, run: RunInfo): void;
  /** That call is over; `call` is the same object `onUpstreamStart` got. */
  onUpstreamEnd?(call: UpstreamCall, result: UpstreamCallResult, run: RunInfo): void;
  /** A server-side tool call is over. */
  onToolCall?(call: ToolCallInfo, run: RunInfo): void;
  /** A storage driver call is over. */
  onStorageOperation?(operation: StorageOperationInfo): void;
}

/** What a plugin's `start` receives from the host. */
export interface PluginContext {
  /** Lines prefixed with the plugin's name. */
  logger: PluginLogger;
}

/** What `listTools` and `check` receive: the plugin's logger, and a signal aborted when the answer is no longer wanted. */
export interface PluginTaskContext extends PluginContext {
  signal: AbortSignal;
}

/**
 * A plugin, as `definePlugin` returns it.
 *
 * @example
 * const plugin: HermesPlugin = definePlugin({ name: "ping", tools: [ping] });
 */
export interface HermesPlugin {
  readonly kind: "plugin";
  /** Unique among the loaded plugins; also the plugin's storage namespace. */
  readonly name: string;
  readonly tools: readonly HermesTool[];
  readonly storage?: HermesStorage | undefined;
  readonly hooks?: PluginHooks | undefined;
  /**
   * Tools whose list changes while the proxy runs (an MCP server's), beside the fixed `tools`: asked
   * when each run starts, which may start what provides them. A rejection leaves them out of that run.
   */
  readonly listTools?: ((context: PluginTaskContext) => readonly HermesTool[] | Promise<readonly HermesTool[]>) | undefined;
  /** Called once when the proxy starts, before it takes requests; a rejection is logged in one line and the proxy starts anyway. */
  readonly start?: ((context: PluginContext) => void | Promise<void>) | undefined;
  /** Called once on shutdown, after in-flight runs have drained. */
  readonly stop?: (() => void | Promise<void>) | undefined;
  /** For `hermes-proxy check`: tries what `start` would and resolves to a one-line summary, or rejects with why it cannot. */
  readonly check?: ((context: PluginTaskContext) => Promise<string>) | undefined;
  /** What `hermes-proxy check` shows of the plugin's options (masked like the rest of the config); never secrets. */
  readonly settings?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * What `plugins: [...]` in `hermes.config.ts` takes: plugins, bare tools or storages, and falsy values
 * and nested lists, so that `enabled && plugin()` and plugin presets need no filtering.
 *
 * @example
 * plugins: [clock(), env.FETCH === "1" && httpFetch({ allow: ["example.com"] }), [calculator(), notes()]]
 */
export type PluginOption = HermesPlugin | HermesTool | HermesStorage | false | null | undefined | readonly PluginOption[];
