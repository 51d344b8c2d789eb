import type { IncomingMessage, ServerResponse } from "node:http";
import type { HermesConfig } from "./config/schema.ts";
import { readTls, type TlsMaterial } from "./config/tls.ts";
import type { JobClock } from "./jobs/clock.ts";
import { JobService } from "./jobs/service.ts";
import { setupObservability, type Observability } from "./observability/setup.ts";
import { HermesError } from "./protocol/index.ts";
import { randomId } from "./utils/index.ts";
import { startPlugins, stopPlugins } from "./plugins/lifecycle.ts";
import { loadPlugins } from "./plugins/load.ts";
import { createApp } from "./server/app.ts";
import { BackgroundRuns } from "./runtime/background.ts";
import { handleClientError } from "./server/client-error.ts";
import { CommandBus } from "./runtime/commands.ts";
import type { ServerContext } from "./server/context.ts";
import { Lifecycle } from "./runtime/lifecycle.ts";
import { startMetricsServer } from "./server/metrics-server.ts";
import { type Listener, listen } from "./server/listen.ts";
import { listenerLimits } from "./server/listen-limits.ts";
import { nodeHandler } from "./server/node-handler.ts";
import { cancelLocal, notCancellable } from "./runtime/background-cancel.ts";
import { RunManager } from "./runtime/runs/manager.ts";
import { settleUnfinishedResponses } from "./runtime/recover-responses.ts";
import { openStorage, type OpenStorage } from "./state/open-storage.ts";
import { chooseStorage, type StorageChoice } from "./state/select-storage.ts";
import { createStores, rebuildIndexes } from "./state/stores.ts";
import { createUpstreamFromConfig } from "./upstream/create.ts";
import { isRouterUpstream } from "./upstream/router/index.ts";
import { logger, setLogLevel } from "./utils/logger.ts";
import { version } from "./version.ts";

export interface Hermes {
  config: HermesConfig;
  /** `chat`, `responses` or `echo`. */
  upstreamKind: string;
  /** The storage in use: its driver, where it keeps the data (credentials masked), and what chose it. */
  storage: { driver: string; description: string; source: StorageChoice["source"] };
  /**
   * A Node `http` request listener, for `http.createServer`. The listener limits of `server.*`
   * (timeouts, `maxConnections`) are `listen()`'s: a server of your own sets its own.
   */
  handler: (request: IncomingMessage, response: ServerResponse) => void;
  /** For the server's `clientError` event: requests Node's parser rejects still get the error envelope. */
  onClientError: typeof handleClientError;
  /** The same app as a web fetch handler. */
  fetch: (request: Request) => Promise<Response>;
  /** Where `GET /metrics` is served when `metrics.port` is set (its own listener); else undefined. */
  metricsURL: string | undefined;
  /**
   * Listens through h3's `serve()` (srvx) on `config.server.port` and `host`, HTTPS when `server.tls`
   * is set; `options` override them (`tls` as PEM text, already read). Close the listener after
   * `close()`: requests that arrive while the proxy drains get a clean 503, not a refused connection.
   *
   * @throws {ListenError} port in use, unknown host, … (one line, for the operator)
   * @throws {ConfigError} `server.tls` names a file that cannot be read, or a pair TLS cannot use
   */
  listen(options?: { port?: number; host?: string; tls?: TlsMaterial }): Promise<Listener>;
  /**
   * Stops taking new requests (503 `server_draining`), lets in-flight ones finish within
   * `server.shutdownTimeoutMs`, ends what is left with an error frame, then closes the upstream and storage.
   */
  close(): Promise<void>;
}

/**
 * Creates the proxy from a resolved config.
 *
 * @example
 * import { createHermes, resolveConfig } from "hermes-proxy";
 * const { config } = await resolveConfig({ flags: { port: 8642 } }); // or hermesConfigSchema.parse({...})
 * const hermes = await createHermes(config);
 * const listener = await hermes.listen(); // or http.createServer(hermes.handler).on("clientError", hermes.onClientError)
 * // on shutdown:
 * await hermes.close();
 * await listener.close();
 */
export async function createHermes(config: HermesConfig, options: CreateHermesOptions = {}): Promise<Hermes> {
  setLogLevel(config.logs.level);
  const observability = setupObservability(config, { version, writeLog: options.writeLog });
  const choice = await chooseStorage(config);
  // First, and proven usable: an unreachable storage fails the start here, with nothing else opened.
  const opened = await openStorage(observability.storage(choice.definition));
  let parts: Awaited<ReturnType<typeof wire>> | undefined;
  let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
  try {
    parts = await wire(config, opened, observability, options);
    const { metrics } = observability;
    if (metrics && config.metrics.port !== undefined)
      metricsServer = await startMetricsServer(metrics, { port: config.metrics.port, host: config.metrics.host });
  } catch (error) {
    await parts?.upstream.close();
    await stopPlugins(config.plugins);
    await parts?.stop();
    await opened.close();
    throw error;
  }
  const { app, upstream, lifecycle, stop, jobs } = parts;
  const { definition } = opened;
  let closing: Promise<void> | undefined;
  return {
    config,
    upstreamKind: upstream.kind,
    storage: { driver: definition.name, description: definition.description ?? definition.name, source: choice.source },
    handler: nodeHandler(app) as Hermes["handler"],
    onClientError: handleClientError,
    fetch: async (request) => app.fetch(request),
    metricsURL: metricsServer?.url,
    listen: async (options = {}) =>
      listen(app, {
        port: options.port ?? config.server.port,
        host: options.host ?? config.server.host,
        tls: options.tls ?? readTls(config.server.tls, process.cwd()),
        onClientError: handleClientError,
        limits: listenerLimits(config.server),
      }),
    close: () =>
      (closing ??= (async () => {
        // First: no job fires once the drain has begun.
        await jobs?.stop();
        await lifecycle.drain(config.server.shutdownTimeoutMs, new HermesError("The server is shutting down", { status: 503, code: "server_shutting_down" }));
        await upstream.close();
        await metricsServer?.close();
        await stopPlugins(config.plugins);
        await stop();
        await opened.close();
        observability.flush();
      })()),
  };
}

/** What embedding the proxy (and its tests) may change besides the config. */
export interface CreateHermesOptions {
  /** Where request log lines go (`logs.requests`), one call per line. @default stdout */
  writeLog?: (line: string) => void;
  /** Epoch ms for the routers' circuit breakers; tests pass a fake clock. @default Date.now */
  now?: () => number;
  /** For tests: the job scheduler's clock and timers, so that a test advances time instead of waiting. @default the system clock */
  jobClock?: JobClock;
}

/** Stores, the message bus, the upstream and the app, on an open storage. */
async function wire(config: HermesConfig, opened: OpenStorage, observability: Observability, options: CreateHermesOptions) {
  const { storage, coordination, definition, health } = opened;
  // First, before anything starts: a missing SDK fails the start in one line with nothing to undo.
  const mcpSdk = config.mcp.serve ? await (await import("./server/mcp/load-sdk.ts")).loadMcpServerSdk() : undefined;
  // A durable storage one process owns (fs, SQLite): live work is marked, and the next start settles
  // what a crash left (Redis has leases instead; memory keeps nothing across a restart).
  const durableLocal = !coordination.shared && definition.name !== "memory";
  const settleLater = (label: string, task: () => Promise<void>) => health.whenBack(label, task);
  const stores = createStores(storage, coordination, config, { markUnfinished: durableLocal, settleLater });
  const commands = new CommandBus(coordination, randomId("proc_"));
  const unlistenResponses = await stores.responses.listen();
  const unlistenConversations = await stores.conversations.listen();
  await commands.start();
  if (durableLocal)
    rebuildIndexes(storage, coordination, config, stores).catch((error: unknown) => logger.error("rebuilding the eviction indexes failed:", error));
  const upstream = createUpstreamFromConfig(config, { ...observability.upstreamOptions, now: options.now });
  const lifecycle = new Lifecycle();
  const registry = loadPlugins(config.plugins, storage, observability.observers);
  // Before the app takes requests, so that an eager tool server's tools are there for the first run.
  await startPlugins(config.plugins);
  const runs = new RunManager({ config, upstream, registry, lifecycle, store: stores.runs, coordination, commands, unfinished: stores.unfinished });
  const jobs = config.jobs.enabled
    ? new JobService({ storage, coordination, config, upstream, runs, sessions: stores.sessions, clock: options.jobClock })
    : undefined;
  const context: ServerContext = {
    config,
    upstream,
    registry,
    runs,
    sessions: stores.sessions,
    idempotency: stores.idempotency,
    responses: stores.responses,
    conversations: stores.conversations,
    items: stores.items,
    background: new BackgroundRuns(),
    unfinished: stores.unfinished,
    storageKind: definition.name,
    storageHealth: health,
    coordination,
    commands,
    version,
    startedAt: Date.now(),
    lifecycle,
    jobs,
    observability,
    mcpSdk,
  };
  observability.metrics?.bind({
    requestsInFlight: () => lifecycle.requestsInFlight,
    runsInFlight: () => context.runs.active,
    streamsInFlight: () => observability.tracker?.streamsInFlight() ?? new Map(),
    upstreamStates: isRouterUpstream(upstream) ? upstream.upstreamStates : undefined,
  });
  commands.handle("responses.cancel", async ({ responseId }) => {
    if (!(await cancelLocal(context, responseId))) throw notCancellable();
    return null;
  });
  const stop = async () => {
    runs.close();
    await jobs?.stop();
    // The ends of the runs jobs fired are recorded before the storage closes.
    await jobs?.settled();
    await commands.close();
    await unlistenResponses();
    await unlistenConversations();
  };
  const app = createApp(context);
  // Runs and background responses a crash left live are settled before the server takes requests
  // (and before the scheduler, which then sees their fires ended).
  await runs.recover();
  await settleUnfinishedResponses(stores.responses, stores.unfinished);
  // Fires missed while no process ran are caught up on here, before the server takes requests.
  await jobs?.start();
  return { app, upstream, lifecycle, stop, jobs };
}

export type { HermesConfig, HermesUserConfig } from "./config/schema.ts";
export { hermesConfigSchema } from "./config/schema.ts";
export { resolveConfig, type ResolveConfigOptions, type ResolvedConfig } from "./config/resolve.ts";
export { ConfigError } from "./config/errors.ts";
export { ListenError } from "./server/listen-error.ts";
export type { Listener } from "./server/listen.ts";
export { version } from "./version.ts";
