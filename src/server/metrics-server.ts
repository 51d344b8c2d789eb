import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { HermesMetrics } from "../observability/metrics/metrics.ts";
import { errorEnvelope } from "./errors.ts";
import { logger } from "../utils/logger.ts";

export interface MetricsServer {
  /** `http://host:port`, the port being the real one when 0 was asked for. */
  url: string;
  close(): Promise<void>;
}

/**
 * `metrics.port`: `GET /metrics` on a listener of its own, without the API key, for a scraper on a
 * private network (bind it to one: `metrics.host` is loopback by default). Nothing else is served there.
 *
 * @throws {Error} naming the address when it cannot listen (port in use, no permission).
 */
export async function startMetricsServer(metrics: HermesMetrics, options: { port: number; host: string }): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?", 1)[0];
    if (path !== "/metrics" || (request.method !== "GET" && request.method !== "HEAD")) {
      const body = JSON.stringify(
        errorEnvelope({ message: "Only GET /metrics is served on this port", type: "not_found_error", code: "not_found", param: null }),
      );
      response.writeHead(404, { "content-type": "application/json; charset=utf-8" }).end(body);
      return;
    }
    metrics.render().then(
      (text) => response.writeHead(200, { "content-type": metrics.contentType }).end(request.method === "HEAD" ? undefined : text),
      (error: unknown) => {
        logger.error("rendering metrics failed:", error);
        response.writeHead(500, { "content-type": "text/plain" }).end("metrics failed\n");
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(new Error(`cannot serve metrics on ${options.host}:${options.port}: ${error.code ?? error.message}`, { cause: error })),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
