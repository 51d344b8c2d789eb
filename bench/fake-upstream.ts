/**
 * The bench's upstream: a minimal node:http model server with pre-rendered answers (see
 * `replies.ts`). Kept apart from test/helpers on purpose: the test double records every request and
 * renders each answer, which would make the upstream, not the proxy, the bottleneck. Run as a child
 * process; prints `{"port":N}` once listening.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { jsonBody, replyShape, streamFrames } from "./replies.ts";

const MODEL = /"model"\s*:\s*"([^"]*)"/;
const STREAM = /"stream"\s*:\s*true/;

const jsonCache = new Map<string, Buffer>();
const framesCache = new Map<string, { frames: Buffer[]; burst: Buffer }>();

function json(model: string): Buffer {
  let body = jsonCache.get(model);
  if (!body) jsonCache.set(model, (body = jsonBody(model, replyShape(model).chunks)));
  return body;
}

function frames(model: string): { frames: Buffer[]; burst: Buffer } {
  let entry = framesCache.get(model);
  if (!entry) {
    const frames = streamFrames(model, replyShape(model).chunks);
    framesCache.set(model, (entry = { frames, burst: Buffer.concat(frames) }));
  }
  return entry;
}

const jsonHeaders = { "content-type": "application/json" };
const sseHeaders = { "content-type": "text/event-stream", "cache-control": "no-cache" };

/**
 * Paced streams share one 1 ms ticker instead of a timer each: with 512 streams open, 512 timers
 * would cost the upstream more than the proxy under test.
 */
const paced = new Set<{ response: ServerResponse; frames: Buffer[]; next: number }>();
let ticker: NodeJS.Timeout | undefined;

function tick(): void {
  for (const stream of paced) {
    const frame = stream.frames[stream.next++];
    if (frame) stream.response.write(frame);
    if (stream.next >= stream.frames.length) {
      stream.response.end();
      paced.delete(stream);
    }
  }
  if (paced.size === 0) {
    clearInterval(ticker);
    ticker = undefined;
  }
}

function startPaced(response: ServerResponse, all: Buffer[]): void {
  response.writeHead(200, sseHeaders);
  response.write(all[0]);
  const stream = { response, frames: all, next: 1 };
  paced.add(stream);
  response.once("close", () => paced.delete(stream));
  ticker ??= setInterval(tick, 1);
}

function answer(request: IncomingMessage, response: ServerResponse, body: string): void {
  if (request.method === "GET" && request.url?.endsWith("/models")) {
    response.writeHead(200, jsonHeaders);
    response.end(`{"object":"list","data":[{"id":"bench-json","object":"model","created":0,"owned_by":"bench"}]}`);
    return;
  }
  const model = MODEL.exec(body)?.[1] ?? "bench-json";
  const shape = replyShape(model);
  const stream = shape.kind === "burst" || shape.kind === "paced" || (shape.kind === "auto" && STREAM.test(body));
  if (!stream) {
    const payload = json(model);
    response.writeHead(200, { ...jsonHeaders, "content-length": payload.byteLength });
    response.end(payload);
    return;
  }
  const rendered = frames(model);
  if (shape.kind === "paced") return startPaced(response, rendered.frames);
  // One write: the whole stream reaches the proxy in as few reads as the socket allows.
  response.writeHead(200, sseHeaders);
  response.write(rendered.burst);
  response.end();
}

const server = createServer((request, response) => {
  let body = "";
  request.setEncoding("utf8");
  request.on("data", (chunk: string) => (body += chunk));
  request.on("end", () => answer(request, response, body));
});
// Between scenarios a pool may sit idle for longer than Node's 5 s default.
server.keepAliveTimeout = 65_000;
server.listen({ port: Number(process.env.BENCH_PORT ?? 0), host: "127.0.0.1", backlog: 4096 }, () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on("SIGTERM", () => process.exit(0));
