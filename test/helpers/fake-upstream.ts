/**
 * A scripted OpenAI-compatible model server on loopback, for tests that need a real upstream socket.
 *
 * Speaks Chat Completions (`POST /v1/chat/completions`), the Responses API (`POST /v1/responses`),
 * both streamed (as the request's `stream` asks) and not, `POST /v1/responses/input_tokens` and
 * `/v1/responses/compact`, and `GET /v1/models`. Every POST takes the
 * next queued reply, else the `script` function's, else the default: echo the last user text. A reply
 * is a model answer (`{ text, reasoning, toolCalls, hostedItems, usage, finishReason }`, rendered in the request's
 * API and mode) or a fault: `{ status, body?, headers? }`, `{ sse: [...frames] }`, `{ hang: true }`,
 * `resetAfter` / `stallAfter` / `delayMs` (from frame `delayFrom` on) on any streamed reply,
 * `refuseStream` (400 to `stream: true`, then the answer for the non-stream retry), `ignoreStream`
 * (JSON body to a streaming request).
 * Every request is recorded; a client that goes away mid-reply is visible through `waitForAbort()`.
 *
 * @example
 * const upstream = await startFakeUpstream();
 * upstream.enqueue({ status: 500 }, { text: "Hello world", toolCalls: [{ name: "clock", arguments: {} }] });
 * // … point the code under test at upstream.url (ends in /v1) …
 * expect(upstream.requests[1].body.stream_options).toEqual({ include_usage: true });
 * await upstream.close();
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { chatCompletionBody, chatStreamFrames, modelList } from "./fake-upstream/chat.ts";
import { lastUserText, type ResolvedCompletion, resolveCompletion } from "./fake-upstream/render.ts";
import { responseObject, responsesStreamFrames, responsesUtilityBody } from "./fake-upstream/responses.ts";
import type { FakeCompletion, FakeDelivery, FakeReply, FakeScript, RecordedRequest } from "./fake-upstream/types.ts";

export type * from "./fake-upstream/types.ts";

export interface FakeUpstreamOptions {
  /** When set, every request must carry `Authorization: Bearer <apiKey>` or gets a 401. */
  apiKey?: string;
  /** What `GET /v1/models` lists. @default ["fake-model", "fake-model-mini"] */
  models?: string[];
}

export interface FakeUpstream {
  /** Base URL ending in `/v1`, as an `upstream.baseURL` or an OpenAI SDK `baseURL`. */
  readonly url: string;
  /** Every request received, oldest first. */
  readonly requests: RecordedRequest[];
  /** TCP connections accepted so far (keep-alive reuse shows as fewer connections than requests). */
  readonly connections: number;
  /** TCP connections closed so far, by either side. */
  readonly closedConnections: number;
  /** What `GET /v1/models` lists; may be reassigned. */
  models: string[];
  /** Queues replies for the next POSTs, in order. */
  enqueue(...replies: FakeReply[]): this;
  /** Decides the reply of each POST the queue does not cover; `undefined` restores the echo default. */
  script(handler: FakeScript | undefined): this;
  /**
   * Resolves with the next request the client abandoned before its reply was complete (each abort
   * is handed out once, oldest first); rejects after `timeoutMs`.
   */
  waitForAbort(timeoutMs?: number): Promise<RecordedRequest>;
  /** Forgets queued replies, the script, the recorded requests and aborts not yet waited for. */
  reset(): void;
  /** Ends every connection (hanging replies included) and stops listening. */
  close(): Promise<void>;
}

/** Starts a fake upstream on 127.0.0.1 and a free port. */
export async function startFakeUpstream(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const fake = new FakeUpstreamServer(options);
  await fake.listen();
  return fake;
}

class FakeUpstreamServer implements FakeUpstream {
  url = "";
  readonly requests: RecordedRequest[] = [];
  connections = 0;
  closedConnections = 0;
  models: string[];
  private readonly apiKey: string | undefined;
  private readonly server: Server;
  private readonly queue: FakeReply[] = [];
  private handler: FakeScript | undefined;
  private readonly aborts: RecordedRequest[] = [];
  private abortsHandedOut = 0;
  private readonly waiters: ((request: RecordedRequest) => void)[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private closing = false;

  constructor(options: FakeUpstreamOptions) {
    this.apiKey = options.apiKey;
    this.models = options.models ?? ["fake-model", "fake-model-mini"];
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) sendJson(response, 500, envelope(`fake upstream bug: ${String(error)}`, "server_error"));
        else response.destroy();
      });
    });
    this.server.on("connection", (socket) => {
      this.connections++;
      socket.on("close", () => this.closedConnections++);
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  enqueue(...replies: FakeReply[]): this {
    this.queue.push(...replies);
    return this;
  }

  script(handler: FakeScript | undefined): this {
    this.handler = handler;
    return this;
  }

  waitForAbort(timeoutMs = 5_000): Promise<RecordedRequest> {
    const ready = this.aborts[this.abortsHandedOut];
    if (ready) {
      this.abortsHandedOut++;
      return Promise.resolve(ready);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`fake upstream: no aborted request within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (request: RecordedRequest) => {
        clearTimeout(timer);
        resolve(request);
      };
      this.waiters.push(waiter);
    });
  }

  reset(): void {
    this.abortsHandedOut = this.aborts.length;
    this.queue.length = 0;
    this.handler = undefined;
    this.requests.length = 0;
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let raw = "";
    for await (const chunk of request) raw += chunk;
    const record: RecordedRequest = {
      method: request.method ?? "GET",
      path: request.url ?? "/",
      headers: request.headers,
      body: undefined,
      aborted: false,
    };
    this.requests.push(record);
    let resetByServer = false;
    response.on("close", () => {
      if (response.writableFinished || resetByServer || this.closing) return;
      record.aborted = true;
      this.aborts.push(record);
      const waiter = this.waiters.shift();
      if (waiter) {
        this.abortsHandedOut++;
        waiter(record);
      }
    });

    if (this.apiKey !== undefined && request.headers.authorization !== `Bearer ${this.apiKey}`) {
      return sendJson(response, 401, envelope("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"));
    }
    if (raw !== "") {
      try {
        record.body = JSON.parse(raw);
      } catch {
        return sendJson(response, 400, envelope("We could not parse the JSON body of your request.", "invalid_request_error"));
      }
    }
    const path = record.path.split("?", 1)[0];
    if (record.method === "GET" && path === "/v1/models") return sendJson(response, 200, modelList(this.models));
    if (record.method === "POST" && (path === "/v1/responses/input_tokens" || path === "/v1/responses/compact")) {
      // A queued error reply answers it (upstream failures); otherwise the spec-shaped answer.
      const queued = this.queue[0];
      if (queued && "status" in queued && !("sse" in queued)) {
        this.queue.shift();
        return sendJson(response, queued.status, queued.body ?? defaultErrorBody(queued.status), queued.headers);
      }
      return sendJson(response, 200, responsesUtilityBody(path, record.body ?? {}));
    }
    const api = path === "/v1/chat/completions" ? "chat" : path === "/v1/responses" ? "responses" : undefined;
    if (record.method !== "POST" || api === undefined) {
      return sendJson(response, 404, envelope(`Unknown request URL: ${record.method} ${record.path}.`, "invalid_request_error", "unknown_url"));
    }

    const streaming = record.body?.stream === true;
    const queued = this.queue[0];
    const reply: FakeReply = queued ?? (await this.handler?.(record)) ?? {};
    if ("refuseStream" in reply && reply.refuseStream && streaming) {
      return sendJson(response, 400, envelope("Streaming is not supported for this model.", "invalid_request_error", "unsupported_value", "stream"));
    }
    if (queued) this.queue.shift();

    const markReset = () => {
      resetByServer = true;
    };
    if ("hang" in reply) return;
    if ("sse" in reply) {
      response.writeHead(reply.status ?? 200, { ...sseHeaders, ...reply.headers });
      return this.writeFrames(response, reply.sse, reply, markReset);
    }
    if ("status" in reply) {
      const body = reply.body ?? defaultErrorBody(reply.status);
      if (typeof body === "string") {
        response.writeHead(reply.status, { "content-type": "text/plain", ...reply.headers });
        response.end(body);
      } else {
        sendJson(response, reply.status, body, reply.headers);
      }
      return;
    }

    const completion = resolveCompletion(reply, record, lastUserText(record.body) || "Hello from the fake upstream");
    const reasoningField = reply.reasoningField ?? "reasoning_content";
    const reasoningStyle = reply.responsesReasoning ?? "summary";
    if ((!streaming && !reply.alwaysStream) || reply.ignoreStream) {
      const body = api === "chat" ? chatCompletionBody(completion, reasoningField) : responseObject(completion, record.body ?? {}, reasoningStyle, true);
      if (reply.headersDelayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, reply.headersDelayMs));
      if (response.destroyed) return;
      const { delayMs, resetAfter, stallAfter } = reply;
      if (delayMs === undefined && resetAfter === undefined && stallAfter === undefined) return sendJson(response, 200, body, reply.headers);
      // Paced or faulted: the JSON body goes out in as many pieces as the stream would have frames,
      // so that `resetAfter`, `stallAfter` and `delayFrom` cut or slow it at the same point.
      const pieces = splitEvenly(JSON.stringify(body), this.frames(api, completion, record, reply).length);
      response.writeHead(200, { "content-type": "application/json", ...reply.headers });
      return this.writeFrames(response, pieces, reply, markReset);
    }
    response.writeHead(200, { ...sseHeaders, ...reply.headers });
    return this.writeFrames(response, this.frames(api, completion, record, reply), reply, markReset);
  }

  /** The answer as the stream frames of `api`. */
  private frames(api: "chat" | "responses", completion: ResolvedCompletion, record: RecordedRequest, reply: FakeCompletion): string[] {
    return api === "chat"
      ? chatStreamFrames(completion, record.body?.stream_options?.include_usage === true, reply.reasoningField ?? "reasoning_content")
      : responsesStreamFrames(completion, record.body ?? {}, reply.responsesReasoning ?? "summary");
  }

  /** Writes frames one by one, paced and faulted as the delivery options say. */
  private async writeFrames(response: ServerResponse, frames: readonly string[], delivery: FakeDelivery, markReset: () => void): Promise<void> {
    const { delayMs, delayFrom = 0, resetAfter, stallAfter } = delivery;
    const careful = delayMs !== undefined || resetAfter !== undefined || stallAfter !== undefined;
    response.flushHeaders();
    for (let index = 0; index < frames.length; index++) {
      if (resetAfter !== undefined && index >= resetAfter) {
        markReset();
        response.socket?.destroy();
        return;
      }
      if (stallAfter !== undefined && index >= stallAfter) return;
      if (response.destroyed) return;
      if (!careful) {
        response.write(frames[index]);
        continue;
      }
      // Faulted replies wait for each write so that a reset cannot drop frames already "sent".
      await new Promise<void>((resolve) => response.write(frames[index]!, () => resolve()));
      if (delayMs !== undefined && index >= delayFrom - 1 && index < frames.length - 1) await this.sleep(delayMs);
    }
    if (resetAfter !== undefined && resetAfter >= frames.length) {
      markReset();
      response.socket?.destroy();
      return;
    }
    response.end();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}

const sseHeaders = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" };

function sendJson(response: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  response.end(text);
}

function envelope(message: string, type: string, code: string | null = null, param: string | null = null) {
  return { error: { message, type, param, code } };
}

/** The error bodies OpenAI sends for these statuses. */
function defaultErrorBody(status: number): unknown {
  if (status === 429) return envelope("Rate limit reached for requests. Please try again later.", "requests", "rate_limit_exceeded");
  if (status === 401) return envelope("Incorrect API key provided.", "invalid_request_error", "invalid_api_key");
  if (status === 404) return envelope("The model does not exist or you do not have access to it.", "invalid_request_error", "model_not_found");
  if (status >= 500) return envelope("The server had an error while processing your request. Sorry about that!", "server_error");
  return envelope("Invalid request.", "invalid_request_error");
}

/** `text` cut into `count` pieces of about the same length (at least one character each). */
function splitEvenly(text: string, count: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / Math.max(1, count)));
  const pieces: string[] = [];
  for (let start = 0; start < text.length; start += size) pieces.push(text.slice(start, start + size));
  return pieces;
}
