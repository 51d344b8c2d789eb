/**
 * The proxy under load, in a process of its own so that its memory is measured alone (not the load
 * client's buffers or the fake upstream's). Started by scripts/load-soak.ts with `--expose-gc` and an
 * IPC channel; reports its port, then answers `memory` with `process.memoryUsage()` after a full GC.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { hermesConfigSchema } from "../../src/config/schema.ts";
import { createHermes } from "../../src/index.ts";

const upstreamURL = process.env.LOAD_UPSTREAM_URL;
if (!upstreamURL || !process.send) throw new Error("proxy-child: run it through scripts/load-soak.ts");

const config = hermesConfigSchema.parse({
  server: { port: 0 },
  upstream: { baseURL: upstreamURL, model: "fake-model", maxRetries: 0 },
  storage: "memory",
  // Bounded well below the soak's request count: what the stores keep by design levels off at once,
  // so any growth left is a leak.
  retention: { sessions: { maxEntries: 100 }, responses: { maxEntries: 100 } },
});
const hermes = await createHermes(config);
const server = createServer(hermes.handler);
server.on("clientError", hermes.onClientError);
server.keepAliveTimeout = 60_000;
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

const gc = (globalThis as { gc?: () => void }).gc;
process.on("message", (message: { type: string }) => {
  if (message.type === "memory") {
    // Twice: the first pass finalizes what the second one then frees.
    gc?.();
    gc?.();
    process.send?.({ type: "memory", usage: process.memoryUsage(), resources: process.getActiveResourcesInfo().length });
  } else if (message.type === "close") {
    void hermes.close().then(() => server.close(() => process.exit(0)));
    server.closeAllConnections();
  }
});
process.send({ type: "ready", port: (server.address() as AddressInfo).port });
