import { resolve } from "node:path";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { definePlugin, type HermesPlugin, type HermesTool } from "../../sdk/index.ts";
import { listAllTools, McpConnection } from "./connection.ts";
import { loadMcpSdk } from "./load-sdk.ts";
import { redactor } from "./redact.ts";
import { toHermesTools, type ToolRules } from "./to-tool.ts";
import { connectTransport, type McpEndpoint } from "./transport.ts";

interface McpCommonOptions {
  /** The plugin's name (unique among plugins), and the default prefix of its tools' names. */
  name: string;
  /** Put before each tool's name, so that two servers' `search` tools do not collide. @default `${name}__` */
  prefix?: string;
  /** Only these tools (the server's names, before the prefix). @default every tool */
  allow?: readonly string[];
  /** Never these tools (the server's names). @default [] */
  deny?: readonly string[];
  /**
   * Which calls need a person's approval (the Runs API's `approval.request`; Chat Completions and
   * Responses refuse them): `true` for all, a list of the server's tool names, `"destructive"` for
   * the tools whose annotations do not say they are read-only or non-destructive, or a function of
   * the server's tool name and the arguments. @default false
   */
  needsApproval?: boolean | "destructive" | readonly string[] | ((tool: string, args: Record<string, unknown>) => boolean);
  /** Longest time one call may take; then it is cancelled on the server and its output is an error. @default agent.toolTimeoutMs */
  timeoutMs?: number;
  /**
   * `eager`: started with the proxy (a failure is one warning line; the proxy starts anyway and keeps
   * retrying). `lazy`: started when a run first needs the tools. @default "eager"
   */
  startup?: "eager" | "lazy";
  /** Time to start or reach the server, initialise it and list its tools. @default 10_000 */
  connectTimeoutMs?: number;
  /** Longest wait between restarts of a server that died (500 ms first, then doubling). @default 30_000 */
  maxRestartDelayMs?: number;
}

/** A server this plugin runs as a child process and talks to over stdin/stdout. */
export interface McpStdioOptions extends McpCommonOptions {
  command: string;
  args?: readonly string[];
  /**
   * Variables for the child, over a minimal inherited set (PATH, HOME, USER, SHELL, TERM, LOGNAME):
   * the proxy's own environment (its API keys) is not passed on. Values are never printed.
   */
  env?: Readonly<Record<string, string>>;
  /** @default the proxy's working directory */
  cwd?: string;
}

/** A server reached over HTTP: Streamable HTTP, or the older HTTP+SSE transport when it does not speak that. */
export interface McpHttpOptions extends McpCommonOptions {
  url: string | URL;
  /** Sent with every request, e.g. `{ Authorization: \`Bearer ${env.GITHUB_TOKEN}\` }`. Values are never printed. */
  headers?: Readonly<Record<string, string>>;
}

export type McpOptions = McpStdioOptions | McpHttpOptions;

const pluginName = /^[A-Za-z0-9_-]{1,48}$/;

/**
 * `mcp`: the tools of a Model Context Protocol server as the proxy's server tools, named
 * `<name>__<tool>`. The list is read when the server starts and again when it sends
 * `notifications/tools/list_changed`; each run offers the tools listed at its start. Needs the
 * `@modelcontextprotocol/sdk` package.
 *
 * @throws {TypeError} when the options name no server, or both a command and a URL.
 * @example
 * import mcp from "hermes-proxy/plugins/mcp";
 * export default defineConfig({
 *   plugins: [
 *     mcp({ name: "fs", command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", "/srv/docs"] }),
 *     mcp({ name: "github", url: "https://api.githubcopilot.com/mcp/", headers: { Authorization: `Bearer ${process.env.GITHUB_TOKEN}` }, needsApproval: true }),
 *   ],
 * });
 */
export default function mcp(options: McpOptions): HermesPlugin {
  const { name } = options ?? ({} as McpOptions);
  if (typeof name !== "string" || !pluginName.test(name)) throw new TypeError(`mcp: name ${JSON.stringify(name)} must be 1-48 letters, digits, "_" or "-"`);
  const endpoint = endpointOf(options);
  const secrets = endpoint.kind === "stdio" ? Object.values(endpoint.env) : Object.values(endpoint.headers).flatMap((value) => [value, ...value.split(/\s+/)]);
  if ("url" in options && options.url !== undefined) secrets.push(...urlSecrets(String(options.url)));
  const redact = redactor(secrets);
  const rules = toolRules(options);
  const connectTimeoutMs = positive(options.connectTimeoutMs, "connectTimeoutMs") ?? 10_000;
  const maxRestartDelayMs = positive(options.maxRestartDelayMs, "maxRestartDelayMs") ?? 30_000;
  const startup = options.startup ?? "eager";
  if (startup !== "eager" && startup !== "lazy") throw new TypeError(`mcp(${name}): startup must be "eager" or "lazy"`);

  let tools: readonly HermesTool[] = [];
  const connection: McpConnection = new McpConnection({
    name,
    endpoint,
    connectTimeoutMs,
    maxRestartDelayMs,
    redact,
    onTools: (listed) => (tools = toHermesTools(listed, rules, connection)),
  });

  return definePlugin({
    name,
    async listTools({ signal, logger }) {
      connection.useLogger(logger);
      // A server that is not up offers what it last listed (nothing, if it never came up); why it is
      // not up is the connection's one warning line, not one more from every run.
      await connection.ensureListed(signal).catch(() => undefined);
      return tools;
    },
    ...(startup === "eager" && {
      async start({ logger }) {
        connection.useLogger(logger);
        // A failure is already one warning line (with when the next try is): not a second one from the host.
        await connection.start().catch(() => undefined);
      },
    }),
    stop: () => connection.stop(),
    async check({ signal }) {
      let stderr = "";
      const listed = await probe(endpoint, { signal, timeoutMs: connectTimeoutMs, onStderr: (line) => (stderr = line) }).catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        throw new Error(redact(`${message}${stderr ? ` (last stderr: ${stderr.slice(0, 300)})` : ""}`));
      });
      const offered = toHermesTools(listed, rules, connection).map((tool) => tool.name);
      return `${describe(endpoint)}: ${listed.length} tools, ${offered.length} offered${offered.length > 0 ? ` (${offered.join(", ")})` : ""}`;
    },
    settings: settingsOf(endpoint, options, startup),
  });
}

/** A plugin's own connection for `hermes-proxy check`: start, initialise, list, close. */
async function probe(endpoint: McpEndpoint, options: { signal: AbortSignal; timeoutMs: number; onStderr: (line: string) => void }): Promise<Tool[]> {
  const sdk = await loadMcpSdk();
  const newClient = () => new sdk.Client({ name: "hermes-proxy check", version: "1" }, { capabilities: {} });
  const { client } = await connectTransport(sdk, newClient, endpoint, options);
  try {
    return await listAllTools(client, { signal: options.signal, timeout: options.timeoutMs });
  } finally {
    await client.close().catch(() => undefined);
  }
}

function endpointOf(options: McpOptions): McpEndpoint {
  const { name } = options;
  const hasCommand = "command" in options && options.command !== undefined;
  const hasUrl = "url" in options && options.url !== undefined;
  if (hasCommand === hasUrl) throw new TypeError(`mcp(${name}): give either command (a stdio server) or url (an HTTP server)`);
  if (hasCommand) {
    const { command, args = [], env = {}, cwd } = options as McpStdioOptions;
    if (typeof command !== "string" || command.trim() === "") throw new TypeError(`mcp(${name}): command must be a non-empty string`);
    if (!Array.isArray(args) || args.some((arg) => typeof arg !== "string")) throw new TypeError(`mcp(${name}): args must be a list of strings`);
    return { kind: "stdio", command, args: [...args], env: stringRecord(env, name, "env"), cwd: cwd === undefined ? undefined : resolve(cwd) };
  }
  const { url, headers = {} } = options as McpHttpOptions;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`mcp(${name}): url must be an http:// or https:// URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new TypeError(`mcp(${name}): url must be an http:// or https:// URL`);
  const given = stringRecord(headers, name, "headers");
  // fetch refuses a URL with credentials: they go as Basic auth instead, unless headers already authorise.
  if (parsed.username !== "" || parsed.password !== "") {
    const user = decodeURIComponent(parsed.username);
    const password = decodeURIComponent(parsed.password);
    parsed.username = "";
    parsed.password = "";
    if (!Object.keys(given).some((header) => header.toLowerCase() === "authorization"))
      given.Authorization = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  }
  return { kind: "http", url: parsed, headers: given };
}

function toolRules(options: McpOptions): ToolRules {
  const { name } = options;
  const prefix = options.prefix ?? `${name}__`;
  if (typeof prefix !== "string" || !/^[A-Za-z0-9_-]{0,40}$/.test(prefix))
    throw new TypeError(`mcp(${name}): prefix must be at most 40 letters, digits, "_" or "-"`);
  const list = (value: readonly string[] | undefined, field: string) => {
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) throw new TypeError(`mcp(${name}): ${field} must be a list of tool names`);
    return new Set(value);
  };
  const approval = options.needsApproval ?? false;
  const needsApproval =
    typeof approval === "boolean" || typeof approval === "function" || approval === "destructive" ? approval : list(approval, "needsApproval");
  if (needsApproval === undefined) throw new TypeError(`mcp(${name}): needsApproval must be a boolean, "destructive", a list of tool names or a function`);
  return {
    server: name,
    prefix,
    allow: list(options.allow, "allow"),
    deny: list(options.deny, "deny") ?? new Set(),
    needsApproval,
    timeoutMs: positive(options.timeoutMs, "timeoutMs", name),
  };
}

/** What `check` prints: the server and the names of its variables and headers, never their values. */
function settingsOf(endpoint: McpEndpoint, options: McpOptions, startup: string): Record<string, unknown> {
  const common = {
    startup,
    prefix: options.prefix ?? `${options.name}__`,
    ...(options.allow !== undefined && { allow: [...options.allow] }),
    ...(options.deny !== undefined && { deny: [...options.deny] }),
    ...(options.needsApproval !== undefined && { needsApproval: typeof options.needsApproval === "function" ? "[function]" : options.needsApproval }),
  };
  if (endpoint.kind === "stdio")
    return {
      transport: "stdio",
      command: endpoint.command,
      args: endpoint.args,
      ...(endpoint.cwd && { cwd: endpoint.cwd }),
      env: Object.keys(endpoint.env),
      ...common,
    };
  return { transport: "http", url: endpoint.url.href, headers: Object.keys(endpoint.headers), ...common };
}

/** The credentials a URL carries, as they may appear in messages. */
function urlSecrets(url: string): string[] {
  try {
    const { username, password } = new URL(url);
    return username === "" && password === "" ? [] : [`${username}:${password}@`, username, password, decodeURIComponent(password)];
  } catch {
    return [];
  }
}

function describe(endpoint: McpEndpoint): string {
  return endpoint.kind === "stdio" ? `started ${endpoint.command}` : `reached ${endpoint.url.host}`;
}

function stringRecord(value: unknown, name: string, field: string): Record<string, string> {
  if (typeof value !== "object" || value === null || Object.values(value).some((item) => typeof item !== "string"))
    throw new TypeError(`mcp(${name}): ${field} must map names to strings`);
  return { ...(value as Record<string, string>) };
}

function positive(value: number | undefined, field: string, name = ""): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value <= 0) throw new TypeError(`mcp${name ? `(${name})` : ""}: ${field} must be a positive integer`);
  return value;
}
