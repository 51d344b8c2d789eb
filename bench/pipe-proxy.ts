/**
 * The in-run reference: the least a Node reverse proxy can do. Request and response bodies are piped
 * through untouched over a keep-alive agent; no parsing, no translation. Every hermes figure is read
 * as a ratio to this process measured in the same run. Prints `{"port":N}` once listening.
 */
import { Agent, createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";

const upstream = new URL(process.env.BENCH_UPSTREAM ?? "http://127.0.0.1:1");
const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

const server = createServer((request, response) => {
  const outgoing = httpRequest(
    {
      agent,
      host: upstream.hostname,
      port: upstream.port,
      method: request.method,
      path: request.url,
      headers: { ...request.headers, host: upstream.host },
    },
    (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    },
  );
  outgoing.on("error", () => {
    if (!response.headersSent) response.writeHead(502);
    response.end();
  });
  response.on("close", () => {
    if (!response.writableFinished) outgoing.destroy();
  });
  request.pipe(outgoing);
});
server.keepAliveTimeout = 65_000;
server.listen({ port: Number(process.env.BENCH_PORT ?? 0), host: "127.0.0.1", backlog: 4096 }, () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on("SIGTERM", () => process.exit(0));
