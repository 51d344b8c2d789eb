import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import type { PluginLogger } from "../../sdk/index.ts";
import { loadMcpSdk, type McpClientSdk } from "./load-sdk.ts";
import { type Connected, connectTransport, type McpEndpoint, messageOf } from "./transport.ts";

export interface McpConnectionOptions {
  /** The plugin's name, for messages. */
  name: string;
  endpoint: McpEndpoint;
  /** Time to start (or reach) the server, initialise and list its tools. */
  connectTimeoutMs: number;
  /** Longest wait between two restarts; the first is after 500 ms, each next twice as long. */
  maxRestartDelayMs: number;
  /** Hides env and header values in what is logged or reported. */
  redact: (text: string) => string;
  /** Called with the new list each time the tools are listed (at connection and on `notifications/tools/list_changed`). */
  onTools: (tools: readonly Tool[]) => void;
}

type State = "idle" | "connecting" | "ready" | "down" | "stopped";

/** A connection that lived this long before it closed was healthy: the next restart waits the shortest delay again. */
const healthyMs = 30_000;

const quiet: PluginLogger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * One MCP server, kept connected: started on first need (or at once, by `start`), its tools listed
 * then and again whenever it says they changed, restarted with a growing delay whenever it dies or
 * the connection drops, and closed by `stop` (the SDK ends a child with stdin closed, then SIGTERM,
 * then SIGKILL). A failure never throws past the plugin: it is logged and the server retried.
 */
export class McpConnection {
  readonly #options: McpConnectionOptions;
  #state: State = "idle";
  #connecting: Promise<Connected> | undefined;
  #current: Connected | undefined;
  #connectedAt = 0;
  #listed = false;
  #failures = 0;
  #lastError = "";
  #stderrTail = "";
  #retry: ReturnType<typeof setTimeout> | undefined;
  #listing = 0;
  readonly #stopping = new AbortController();
  #logger: PluginLogger = quiet;

  constructor(options: McpConnectionOptions) {
    this.#options = options;
  }

  /** The logger lines go to: the host hands the plugin's own to `start` and `listTools`. */
  useLogger(logger: PluginLogger): void {
    this.#logger = logger;
  }

  /** The child's pid while a stdio server runs. */
  get pid(): number | undefined {
    return this.#current?.pid;
  }

  get state(): State {
    return this.#state;
  }

  /** Connects now unless connected or on the way; rejects with the failure (a restart is then scheduled). */
  async start(): Promise<void> {
    if (this.#state === "ready") return;
    await this.#connect();
  }

  /**
   * Whether the tools are known: the first time, this waits for the server (a lazy start); after
   * that a server that is down or restarting answers with the tools it last listed. A server that
   * never came up is not waited for again by every run: its restarts go on in the background.
   *
   * @throws {Error} why the server has no tools yet.
   */
  async ensureListed(signal: AbortSignal): Promise<void> {
    if (this.#listed || this.#state === "stopped") return;
    if (this.#state === "down") throw new Error(`the MCP server is not running (${this.#lastError})`);
    await raced(this.#connect(), signal);
  }

  /**
   * The client for one call: at once when connected, after the connection when one is on the way.
   *
   * @throws {Error} when the server is down (a restart is scheduled) or the plugin stopped.
   */
  async client(signal: AbortSignal): Promise<Client> {
    if (this.#state === "ready" && this.#current) return this.#current.client;
    if (this.#state === "stopped") throw new Error(`the MCP server ${this.#options.name} is stopped`);
    if (this.#state === "down") throw new Error(`the MCP server ${this.#options.name} is not running (${this.#lastError}); it is being restarted`);
    return (await raced(this.#connect(), signal)).client;
  }

  /**
   * A call through `client` failed. An HTTP failure below MCP (the server answered 404 for a session
   * it no longer knows, after its own restart, or could not be reached) means the connection is
   * gone even though no transport closed: it is closed here, so that it is restarted like a child
   * that died. An MCP error (a JSON-RPC code) comes from a server that is up, and changes nothing.
   */
  callFailed(client: Client, error: unknown, signal: AbortSignal): void {
    if (signal.aborted || this.#options.endpoint.kind !== "http" || client !== this.#current?.client) return;
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === "number" && code < 0) return;
    void client.close().catch(() => undefined);
  }

  /** Closes the connection (ends the child) and stops restarting. */
  async stop(): Promise<void> {
    this.#state = "stopped";
    clearTimeout(this.#retry);
    this.#stopping.abort(new Error(`the MCP server ${this.#options.name} is stopped`));
    await this.#connecting?.catch(() => undefined);
    const current = this.#current;
    this.#current = undefined;
    await current?.client.close().catch(() => undefined);
  }

  #connect(): Promise<Connected> {
    if (this.#connecting) return this.#connecting;
    if (this.#state === "stopped") return Promise.reject(new Error(`the MCP server ${this.#options.name} is stopped`));
    clearTimeout(this.#retry);
    this.#state = "connecting";
    this.#stderrTail = "";
    const attempt = this.#attempt().then(
      (connected) => {
        this.#connecting = undefined;
        if (this.#state === "stopped") {
          void connected.client.close().catch(() => undefined);
          throw new Error(`the MCP server ${this.#options.name} is stopped`);
        }
        this.#state = "ready";
        this.#current = connected;
        this.#connectedAt = Date.now();
        return connected;
      },
      (error: unknown) => {
        this.#connecting = undefined;
        const reason = this.#reason(error);
        if (this.#state !== "stopped") this.#down(`did not start: ${reason}`);
        throw new Error(reason);
      },
    );
    this.#connecting = attempt;
    attempt.catch(() => undefined);
    return attempt;
  }

  async #attempt(): Promise<Connected> {
    const sdk = await loadMcpSdk();
    const { connectTimeoutMs } = this.#options;
    const signal = AbortSignal.any([this.#stopping.signal, AbortSignal.timeout(connectTimeoutMs)]);
    const connected = await connectTransport(sdk, () => this.#newClient(sdk), this.#options.endpoint, {
      signal,
      timeoutMs: connectTimeoutMs,
      onStderr: (line) => {
        this.#stderrTail = this.#options.redact(line).slice(0, 300);
        this.#logger.debug(`stderr: ${this.#stderrTail}`);
      },
    });
    try {
      const tools = await listAllTools(connected.client, { signal, timeout: connectTimeoutMs });
      this.#publish(tools);
      return connected;
    } catch (error) {
      await connected.client.close().catch(() => undefined);
      throw error;
    }
  }

  #newClient(sdk: McpClientSdk): Client {
    const client = new sdk.Client({ name: "hermes-proxy", version: "1" }, { capabilities: {} });
    client.setNotificationHandler(sdk.ToolListChangedNotificationSchema, () => void this.#relist(client));
    client.onclose = () => this.#closed(client);
    client.onerror = (error) => this.#logger.debug(`transport error: ${this.#options.redact(messageOf(error))}`);
    return client;
  }

  /** `notifications/tools/list_changed`: list again; of two lists on the way, the later one wins. */
  async #relist(client: Client): Promise<void> {
    const ticket = ++this.#listing;
    try {
      const tools = await listAllTools(client, { signal: this.#stopping.signal, timeout: this.#options.connectTimeoutMs });
      if (ticket !== this.#listing || client !== this.#current?.client) return;
      this.#publish(tools);
      this.#logger.info(`tools changed: ${tools.length} listed`);
    } catch (error) {
      if (this.#state !== "stopped") this.#logger.warn(`listing the changed tools failed: ${this.#reason(error)}`);
    }
  }

  #publish(tools: readonly Tool[]): void {
    this.#listed = true;
    this.#options.onTools(tools);
  }

  /** The transport closed: the child died or the connection dropped. Not a failed attempt (that is #connect's). */
  #closed(client: Client): void {
    if (client !== this.#current?.client) return;
    this.#current = undefined;
    if (this.#state === "stopped") return;
    if (Date.now() - this.#connectedAt >= healthyMs) this.#failures = 0;
    const what = this.#options.endpoint.kind === "stdio" ? "exited" : "closed the connection";
    this.#down(`${what}${this.#stderrTail ? ` (last stderr: ${this.#stderrTail})` : ""}`);
  }

  #down(reason: string): void {
    this.#state = "down";
    this.#lastError = reason;
    const delay = Math.min(this.#options.maxRestartDelayMs, 500 * 2 ** this.#failures);
    this.#failures++;
    this.#logger.warn(`MCP server ${reason}; restarting in ${delay} ms`);
    clearTimeout(this.#retry);
    this.#retry = setTimeout(() => {
      if (this.#state === "down") this.#connect().catch(() => undefined);
    }, delay);
    this.#retry.unref?.();
  }

  #reason(error: unknown): string {
    const message = messageOf(error);
    const tail = this.#stderrTail && !message.includes(this.#stderrTail) ? ` (last stderr: ${this.#stderrTail})` : "";
    return this.#options.redact(`${message}${tail}`);
  }
}

/** Every page of `tools/list`. */
export async function listAllTools(client: Client, options: { signal: AbortSignal; timeout: number }): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? {} : { cursor }, options);
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor !== undefined && cursor !== "");
  return tools;
}

/** `work`, or the signal's reason as soon as it aborts (the work goes on for whoever else waits for it). */
function raced<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    const settle = () => signal.removeEventListener("abort", onAbort);
    work.then(
      (value) => {
        settle();
        resolve(value);
      },
      (error: unknown) => {
        settle();
        reject(error);
      },
    );
  });
}
