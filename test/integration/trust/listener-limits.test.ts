import net from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, type MockInstance, vi } from "vitest";
import { hermesConfigSchema } from "../../../src/config/schema.ts";
import { createHermes, type Hermes, type Listener } from "../../../src/index.ts";
import { type FakeUpstream, startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { watchHygiene, type Hygiene } from "../../helpers/hygiene.ts";
import { parseSse } from "../../helpers/sse.ts";

/**
 * Issue 14, item 15: the listener's header, request and keep-alive timeouts and its connection cap,
 * seen from raw sockets against `hermes.listen()` (srvx over node:http), with small settings.
 */
const KEY = "listener-test-key-0123456789abcdef";
const limits = { headersTimeoutMs: 600, requestTimeoutMs: 1_200, keepAliveTimeoutMs: 400, maxConnections: 8 };
/** Node checks the timeouts on a tick (a quarter of the shorter one here) and the test runs on a shared machine. */
const slack = 700;

interface RawConnection {
  socket: net.Socket;
  /** Everything the server sent so far. */
  text(): string;
  /** Resolves with the ms from the connection to its close, by either side. */
  closed: Promise<number>;
}

function connect(url: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  const started = Date.now();
  const socket = net.connect(Number(port), hostname);
  let text = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => (text += chunk));
  socket.on("error", () => undefined);
  const closed = new Promise<number>((resolve) => socket.once("close", () => resolve(Date.now() - started)));
  return new Promise((resolve) => socket.once("connect", () => resolve({ socket, text: () => text, closed })));
}

const chatBody = JSON.stringify({ model: "m", stream: false, messages: [{ role: "user", content: "hi" }] });
const chatHead = (length: number, key = KEY) =>
  `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

describe("listener protection, over raw sockets", () => {
  let upstream: FakeUpstream;
  let hermes: Hermes;
  let listener: Listener;
  let hygiene: Hygiene;
  let errors: MockInstance<typeof console.error>;
  let warnings: MockInstance<typeof console.warn>;
  const open: net.Socket[] = [];

  beforeAll(async () => {
    hygiene = watchHygiene();
    errors = vi.spyOn(console, "error");
    warnings = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    upstream = await startFakeUpstream();
    hermes = await createHermes(
      hermesConfigSchema.parse({ storage: "memory", server: { apiKey: KEY, ...limits }, upstream: { baseURL: upstream.url, model: "fake-model" } }),
    );
    listener = await hermes.listen({ port: 0, host: "127.0.0.1" });
  });
  afterEach(() => {
    for (const socket of open.splice(0)) socket.destroy();
    upstream.reset();
  });
  afterAll(async () => {
    await hermes.close();
    await listener.close();
    await upstream.close();
    errors.mockRestore();
    warnings.mockRestore();
    expect(hygiene.unhandled).toEqual([]);
    hygiene.stop();
  });

  const raw = async () => {
    const connection = await connect(listener.url);
    open.push(connection.socket);
    return connection;
  };

  it("a connection that sends nothing is answered 408 request_timeout and closed after headersTimeoutMs", async () => {
    const silent = await raw();
    const closedAfter = await silent.closed;
    expect(silent.text()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n[\s\S]*Connection: close\r\n[\s\S]*"code":"request_timeout"/);
    expect(closedAfter).toBeGreaterThanOrEqual(limits.headersTimeoutMs - 50);
    expect(closedAfter).toBeLessThan(limits.headersTimeoutMs + slack);
  });

  it("headers trickled a byte at a time are cut at headersTimeoutMs", async () => {
    const slow = await raw();
    const head = chatHead(chatBody.length);
    let sent = 0;
    const trickle = setInterval(() => slow.socket.writable && sent < head.length && slow.socket.write(head[sent++]!), 50);
    const closedAfter = await slow.closed;
    clearInterval(trickle);
    expect(sent).toBeLessThan(head.length);
    expect(slow.text()).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedAfter).toBeLessThan(limits.headersTimeoutMs + slack);
  });

  it("a body trickled past requestTimeoutMs is answered 408 and closed; no upstream call is made", async () => {
    const slow = await raw();
    slow.socket.write(chatHead(chatBody.length));
    let sent = 0;
    const trickle = setInterval(() => slow.socket.writable && sent < chatBody.length && slow.socket.write(chatBody[sent++]!), 50);
    const closedAfter = await slow.closed;
    clearInterval(trickle);
    expect(sent).toBeLessThan(chatBody.length);
    expect(slow.text()).toMatch(/^HTTP\/1\.1 408 [\s\S]*"code":"request_timeout"/);
    expect(closedAfter).toBeGreaterThanOrEqual(limits.requestTimeoutMs - 50);
    expect(closedAfter).toBeLessThan(limits.requestTimeoutMs + slack);
    expect(upstream.requests).toHaveLength(0);
  });

  it("a request refused while its body is still coming (401) closes its connection at once", async () => {
    const unauthenticated = await raw();
    unauthenticated.socket.write(`${chatHead(100_000, "wrong-key")}{"model":`);
    const closedAfter = await unauthenticated.closed;
    expect(unauthenticated.text()).toMatch(/^HTTP\/1\.1 401 [\s\S]*connection: close\r\n[\s\S]*"code":"invalid_api_key"/i);
    // Not held until the request timeout while Node reads and drops the rest of the body.
    expect(closedAfter).toBeLessThan(limits.headersTimeoutMs);
  });

  it("a whole request refused (401) keeps its keep-alive connection", async () => {
    const client = await raw();
    const body = "{}";
    client.socket.write(`${chatHead(body.length, "wrong-key")}${body}`);
    await vi.waitFor(() => expect(client.text()).toMatch(/\r\n\r\n\{"error"[^\n]*\}\}$/));
    expect(client.text()).not.toMatch(/connection: close/i);
    client.socket.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    await vi.waitFor(() => expect(client.text().match(/HTTP\/1\.1 /g)).toHaveLength(2));
  });

  it("an idle keep-alive connection is closed after keepAliveTimeoutMs (and Node's one-second grace)", async () => {
    const client = await raw();
    client.socket.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    await vi.waitFor(() => expect(client.text()).toMatch(/^HTTP\/1\.1 200 /));
    const answeredAt = Date.now();
    await client.closed;
    const idle = Date.now() - answeredAt;
    // Node advertises the timeout and keeps the socket a second longer, so that a client reusing it
    // at the advertised last moment is not reset.
    expect(idle).toBeGreaterThanOrEqual(limits.keepAliveTimeoutMs);
    expect(idle).toBeLessThan(limits.keepAliveTimeoutMs + 1_000 + slack);
  });

  it("past maxConnections a new connection is closed at once, and the proxy serves again once the silent ones time out", async () => {
    const hogs = await Promise.all(Array.from({ length: limits.maxConnections }, () => raw()));
    // The server counts a connection once it accepted it: give it a turn of its loop.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const refused = await raw();
    const refusedAfter = await refused.closed;
    expect(refused.text()).toBe("");
    expect(refusedAfter).toBeLessThan(300);
    expect(warnings.mock.calls.map((call) => String(call[0])).join("\n")).toMatch(/8 connections are open \(server\.maxConnections\)/);

    // Every hog gets its 408 and goes; then requests are served again, with no restart.
    await Promise.all(hogs.map((hog) => hog.closed));
    const started = Date.now();
    const health = await fetch(`${listener.url}/health`);
    expect(health.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("a stream longer than every listener timeout is not cut: 4 s of SSE with gaps longer than the keep-alive timeout", async () => {
    const words = ["one", "two", "three", "four", "five", "six"];
    upstream.enqueue({ text: words.join(" "), delayMs: 450 });
    const started = Date.now();
    const response = await fetch(`${listener.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "m", stream: true, messages: [{ role: "user", content: "count" }] }),
    });
    expect(response.status).toBe(200);
    const frames = parseSse(await response.text());
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThan(3 * limits.requestTimeoutMs);
    expect(frames.at(-1)!.data).toBe("[DONE]");
    const chunks = frames.slice(0, -1).map((frame) => JSON.parse(frame.data) as { choices: { delta: { content?: string }; finish_reason: string | null }[] });
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")).toBe(words.join(" "));
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("stop");
    expect(upstream.requests[0]!.aborted).toBe(false);
  }, 15_000);

  it("logged no internal error for any of it", () => {
    expect(errors.mock.calls.map((call) => call.map(String).join(" ")).filter((line) => /internal error|unhandled/i.test(line))).toEqual([]);
  });
});
