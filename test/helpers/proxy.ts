import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { hermesConfigSchema, type HermesUserConfig } from "../../src/config/schema.ts";
import { type CreateHermesOptions, createHermes, type Hermes } from "../../src/index.ts";

export interface TestProxy {
  hermes: Hermes;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** The openai SDK pointed at the proxy, with the configured key (if any). */
  client: OpenAI;
  close(): Promise<void>;
}

/**
 * The real proxy on a real loopback port, built from a config input exactly as the CLI builds it
 * (in memory unless `storage` or a storage plugin says otherwise).
 * Tests call `close()` (or use `using`-style afterEach) so no server outlives its test.
 */
export async function startProxy(input: HermesUserConfig = {}, options: CreateHermesOptions = {}): Promise<TestProxy> {
  // Memory unless a test names a storage: the default (files under ./.hermes) would litter the repository.
  const entries = ((input.plugins ?? []) as unknown[]).flat(Infinity as 1) as unknown[];
  const hasStoragePlugin = entries.some(
    (entry) => typeof entry === "object" && entry !== null && ("storage" in entry || (entry as { kind?: unknown }).kind === "storage"),
  );
  const storage = input.storage ?? (hasStoragePlugin ? undefined : "memory");
  const config = hermesConfigSchema.parse({ ...input, ...(storage !== undefined && { storage }), server: { port: 0, ...input.server } });
  const hermes = await createHermes(config, options);
  const server: Server = createServer(hermes.handler);
  server.on("clientError", hermes.onClientError);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: config.server.apiKey ?? "unused", maxRetries: 0 });
  return {
    hermes,
    url,
    client,
    async close() {
      await hermes.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
