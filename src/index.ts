import type { IncomingMessage, ServerResponse } from "node:http";
import type { HermesConfig } from "./config/schema.ts";
import { HermesError } from "./protocol/index.ts";
import { loadPlugins } from "./plugins/load.ts";
import { createApp } from "./server/app.ts";
import { BackgroundRuns } from "./server/background.ts";
import { handleClientError } from "./server/client-error.ts";
import { nodeHandler } from "./server/node-handler.ts";
import { RunManager } from "./server/runs/manager.ts";
import { Lifecycle } from "./server/context.ts";
import { createHermesStorage, describeStorage } from "./state/create-storage.ts";
import { createIdempotencyStore } from "./state/idempotency.ts";
import { createRunStore } from "./state/runs.ts";
import { createConversationStore, createResponseStore } from "./state/responses.ts";
import { createSessionStore } from "./state/sessions.ts";
import { createChatUpstream } from "./upstream/chat/index.ts";
import { createEchoUpstream } from "./upstream/echo/index.ts";
import { createResponsesUpstream } from "./upstream/responses/index.ts";
import type { Upstream } from "./upstream/types.ts";
import { version } from "./version.ts";

export interface Hermes {
  config: HermesConfig;
  /** `chat`, `responses` or `echo`. */
  upstreamKind: string;
  /** A Node `http` request listener, for `http.createServer` or listhen. */
  handler: (request: IncomingMessage, response: ServerResponse) => void;
  /** For the server's `clientError` event: requests Node's parser rejects still get the error envelope. */
  onClientError: typeof handleClientError;
  /** The same app as a web fetch handler. */
  fetch: (request: Request) => Promise<Response>;
  /**
   * Stops taking new requests (503 `gateway_draining`), lets in-flight ones finish within
   * `server.shutdownTimeoutMs`, ends what is left with an error frame, then closes the upstream and storage.
   */
  close(): Promise<void>;
}

/**
 * Creates the proxy from a resolved config.
 *
 * @example
 * import http from "node:http";
 * import { createHermes, resolveConfig } from "hermes-proxy";
 * const { config } = await resolveConfig({ flags: { port: 8642 } }); // or hermesConfigSchema.parse({...})
 * const hermes = await createHermes(config);
 * http.createServer(hermes.handler).on("clientError", hermes.onClientError).listen(config.server.port);
 */
export async function createHermes(config: HermesConfig): Promise<Hermes> {
  const storage = createHermesStorage(config.storage);
  const upstream = createUpstream(config);
  const lifecycle = new Lifecycle();
  const registry = loadPlugins(config.plugins, storage);
  const app = createApp({
    config,
    upstream,
    registry,
    runs: new RunManager({ config, upstream, registry, lifecycle, store: createRunStore(storage) }),
    sessions: createSessionStore(storage),
    idempotency: createIdempotencyStore(storage),
    responses: createResponseStore(storage),
    conversations: createConversationStore(storage),
    background: new BackgroundRuns(),
    storageKind: describeStorage(config.storage),
    version,
    startedAt: Date.now(),
    lifecycle,
  });
  let closing: Promise<void> | undefined;
  return {
    config,
    upstreamKind: upstream.kind,
    handler: nodeHandler(app) as Hermes["handler"],
    onClientError: handleClientError,
    fetch: async (request) => app.fetch(request),
    close: () =>
      (closing ??= (async () => {
        await lifecycle.drain(
          config.server.shutdownTimeoutMs,
          new HermesError("The server is shutting down", { status: 503, code: "server_shutting_down" }),
        );
        await upstream.close();
        await storage.dispose();
      })()),
  };
}

function createUpstream(config: HermesConfig): Upstream {
  if (!config.upstream.baseURL) return createEchoUpstream();
  if (config.upstream.api === "chat") return createChatUpstream(config.upstream);
  return createResponsesUpstream(config.upstream);
}

export type { HermesConfig, HermesUserConfig } from "./config/schema.ts";
export { hermesConfigSchema } from "./config/schema.ts";
export { resolveConfig, type ResolveConfigOptions, type ResolvedConfig } from "./config/resolve.ts";
export { ConfigError } from "./config/errors.ts";
export { version } from "./version.ts";
