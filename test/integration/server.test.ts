import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawRequest } from "../helpers/raw-request.ts";
import { startProxy, type TestProxy } from "../helpers/proxy.ts";

const KEY = "test-key-0123456789abcdef";
const chatBody = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: "hermes-agent", messages: [{ role: "user", content: "hello proxy" }], ...extra });

describe("server: routes, middleware and the error envelope", () => {
  let proxy: TestProxy;
  const post = (path: string, body: BodyInit, headers: Record<string, string> = {}) =>
    fetch(proxy.url + path, { method: "POST", body, headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json", ...headers } });
  const get = (path: string, headers: Record<string, string> = {}) => fetch(proxy.url + path, { headers: { authorization: `Bearer ${KEY}`, ...headers } });

  beforeAll(async () => {
    proxy = await startProxy({
      server: { apiKey: KEY, cors: { origins: ["https://app.example"] }, bodyLimit: 10_000 },
      model: { name: "hermes-agent", aliases: ["hermes-fast"] },
    });
  });
  afterAll(() => proxy.close());

  async function expectEnvelope(response: Response, status: number, code: string, param: string | null = null) {
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await response.json()) as { error: Record<string, unknown> };
    expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
    expect(body.error.code).toBe(code);
    expect(body.error.param).toBe(param);
    expect(typeof body.error.message).toBe("string");
    return body.error;
  }

  it("answers /health and /v1/health without a key", async () => {
    for (const path of ["/health", "/v1/health"]) {
      const response = await fetch(proxy.url + path);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: "ok", version: expect.any(String) });
    }
  });

  it("answers /health/detailed only with the key, without secrets", async () => {
    await expectEnvelope(await fetch(`${proxy.url}/health/detailed`), 401, "invalid_api_key");
    const response = await get("/health/detailed");
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ status: "ok", upstream: { kind: "echo" }, storage: { driver: "memory" }, requests_in_flight: expect.any(Number) });
    expect(text).not.toContain(KEY);
  });

  it("lists the advertised model and its aliases", async () => {
    const models = await proxy.client.models.list();
    expect(models.data.map((model) => model.id)).toEqual(["hermes-agent", "hermes-fast"]);
  });

  it("requires the bearer key on every route but health", async () => {
    const cases: [string, Record<string, string>][] = [
      ["no key", {}],
      ["wrong key", { authorization: "Bearer wrong-key-0123456789" }],
      ["wrong scheme", { authorization: `Basic ${KEY}` }],
      ["lowercase scheme, wrong key", { authorization: "bearer wrong-key-0123456789" }],
    ];
    for (const [, headers] of cases) {
      await expectEnvelope(await fetch(`${proxy.url}/v1/models`, { headers }), 401, "invalid_api_key");
      await expectEnvelope(await fetch(`${proxy.url}/v1/chat/completions`, { method: "POST", body: chatBody(), headers }), 401, "invalid_api_key");
    }
    await expectEnvelope(await fetch(`${proxy.url}/v1/models?api_key=${KEY}`), 401, "invalid_api_key");
    expect((await get("/v1/models")).status).toBe(200);
    // The scheme is case-insensitive (RFC 9110 §11.1).
    expect((await fetch(`${proxy.url}/v1/models`, { headers: { authorization: `bearer ${KEY}` } })).status).toBe(200);
  });

  it("sets the security headers on successes and errors", async () => {
    for (const response of [await get("/v1/models"), await fetch(`${proxy.url}/v1/models`), await get("/nowhere")]) {
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("referrer-policy")).toBe("no-referrer");
      expect(response.headers.get("x-frame-options")).toBe("DENY");
      expect(response.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(response.headers.get("permissions-policy")).toBe("camera=(), microphone=(), geolocation=()");
      expect(response.headers.get("x-xss-protection")).toBe("0");
      // Plain HTTP: no HSTS, which a browser would ignore here anyway.
      expect(response.headers.get("strict-transport-security")).toBeNull();
      await response.body?.cancel();
    }
  });

  it("sends HSTS behind a TLS-terminating proxy that says X-Forwarded-Proto: https", async () => {
    for (const proto of ["https", "https, http", "HTTPS"]) {
      const response = await get("/v1/models", { "x-forwarded-proto": proto });
      expect(response.headers.get("strict-transport-security"), proto).toBe("max-age=31536000; includeSubDomains");
      await response.body?.cancel();
    }
    const plain = await get("/v1/models", { "x-forwarded-proto": "http" });
    expect(plain.headers.get("strict-transport-security")).toBeNull();
    await plain.body?.cancel();
  });

  it("allows listed origins only, and answers their preflights", async () => {
    const allowed = await get("/v1/models", { origin: "https://app.example" });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(allowed.headers.get("vary")).toMatch(/Origin/);
    expect(allowed.headers.get("access-control-expose-headers")).toMatch(/X-Hermes-Session-Id/);

    await expectEnvelope(await get("/v1/models", { origin: "https://evil.example" }), 403, "origin_not_allowed");
    const noOrigin = await get("/v1/models");
    expect(noOrigin.headers.get("access-control-allow-origin")).toBeNull();

    const preflight = await fetch(`${proxy.url}/v1/chat/completions`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization, idempotency-key" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-max-age")).toBe("600");
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/Idempotency-Key/);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(preflight.headers.get("vary")).toMatch(/Origin/);
    const badPreflight = await fetch(`${proxy.url}/v1/chat/completions`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(badPreflight.status).toBe(403);
  });

  it("answers unknown routes with 404 and wrong methods with 405", async () => {
    await expectEnvelope(await get("/v1/nowhere"), 404, "not_found");
    const wrongMethod = await get("/v1/chat/completions");
    await expectEnvelope(wrongMethod, 405, "method_not_allowed");
    expect(wrongMethod.headers.get("allow")).toBe("POST");
  });

  it("refuses bodies over the limit, with or without Content-Length", async () => {
    const big = chatBody({ padding: "x".repeat(20_000) });
    await expectEnvelope(await post("/v1/chat/completions", big), 413, "body_too_large");
    const chunked = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(new TextEncoder().encode("x".repeat(1_000)));
        controller.close();
      },
    });
    const response = await fetch(`${proxy.url}/v1/chat/completions`, {
      method: "POST",
      body: chunked,
      headers: { authorization: `Bearer ${KEY}` },
      duplex: "half",
    } as RequestInit);
    await expectEnvelope(response, 413, "body_too_large");
  });

  it("answers malformed bodies with a 400 naming the field", async () => {
    await expectEnvelope(await post("/v1/chat/completions", "{not json"), 400, "invalid_json");
    await expectEnvelope(await post("/v1/chat/completions", ""), 400, "invalid_json");
    await expectEnvelope(await post("/v1/chat/completions", "[1,2]"), 400, "invalid_request");
    await expectEnvelope(await post("/v1/chat/completions", JSON.stringify({ messages: [] })), 400, "invalid_request", "messages");
    await expectEnvelope(await post("/v1/chat/completions", chatBody({ temperature: 7 })), 400, "invalid_request", "temperature");
    await expectEnvelope(await post("/v1/chat/completions", chatBody({ n: 2 })), 400, "unsupported_parameter", "n");
    await expectEnvelope(
      await post("/v1/chat/completions", JSON.stringify({ messages: [{ role: "wizard", content: "hi" }] })),
      400,
      "invalid_request",
      "messages[0].role",
    );
    const filePart = {
      role: "user",
      content: [
        { type: "text", text: "read this" },
        { type: "file", file: { file_id: "f" } },
      ],
    };
    await expectEnvelope(
      await post("/v1/chat/completions", JSON.stringify({ messages: [filePart] })),
      400,
      "unsupported_content_type",
      "messages[0].content[1]",
    );
    const badImage = { role: "user", content: [{ type: "image_url", image_url: { url: "ftp://x/y.png" } }] };
    await expectEnvelope(
      await post("/v1/chat/completions", JSON.stringify({ messages: [badImage] })),
      400,
      "invalid_image_url",
      "messages[0].content[0].image_url.url",
    );
    const deepSchema = JSON.parse(`${'{"a":'.repeat(40)}1${"}".repeat(40)}`);
    const tools = [{ type: "function", function: { name: "deep", parameters: deepSchema } }];
    await expectEnvelope(await post("/v1/chat/completions", chatBody({ tools })), 400, "invalid_request", "tools[0].function.parameters");
    await expectEnvelope(await post("/v1/chat/completions", chatBody(), { "idempotency-key": "" }), 400, "invalid_idempotency_key", "Idempotency-Key");
  });

  it("rejects session ids with control characters", async () => {
    // fetch refuses to send most control characters; Node's parser lets a tab through to us.
    const body = chatBody();
    const raw = await rawRequest(
      proxy.url,
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\nContent-Length: ${body.length}\r\n` +
        `X-Hermes-Session-Id: a\tb\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(raw).toMatch(/^HTTP\/1\.1 400/);
    expect(JSON.parse(raw.slice(raw.indexOf("{"))).error).toMatchObject({ code: "invalid_session_id", param: "X-Hermes-Session-Id" });
    const control = await rawRequest(proxy.url, `GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\nX-Hermes-Session-Id: a\u0001b\r\n\r\n`);
    expect(control).toMatch(/^HTTP\/1\.1 400/);
    expect(JSON.parse(control.slice(control.indexOf("{"))).error.code).toBe("malformed_request");
    const tooLong = await post("/v1/chat/completions", body, { "x-hermes-session-id": "s".repeat(300) });
    await expectEnvelope(tooLong, 400, "invalid_session_id", "X-Hermes-Session-Id");
  });
});

describe("server without an API key", () => {
  let proxy: TestProxy;
  beforeAll(async () => {
    proxy = await startProxy();
  });
  afterAll(() => proxy.close());

  it("serves without auth but refuses session continuation", async () => {
    expect((await fetch(`${proxy.url}/v1/models`)).status).toBe(200);
    const response = await fetch(`${proxy.url}/v1/chat/completions`, {
      method: "POST",
      body: chatBody(),
      headers: { "x-hermes-session-id": "api-0123456789abcdef" },
    });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("session_requires_api_key");
  });

  it("answers the openai SDK from the echo upstream, plain and streamed", async () => {
    const completion = await proxy.client.chat.completions.create({ model: "anything", messages: [{ role: "user", content: "echo me back" }] });
    expect(completion.choices[0]?.message.content).toBe("echo me back");
    expect(completion.model).toBe("anything");
    expect(completion.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 });

    const stream = await proxy.client.chat.completions.create({ model: "anything", stream: true, messages: [{ role: "user", content: "one two three" }] });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("one two three");
  });

  it("refuses new requests while draining", async () => {
    const other = await startProxy();
    const closing = other.hermes.close();
    const response = await fetch(`${other.url}/v1/models`);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("1");
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("server_draining");
    await closing;
    await other.close();
  });
});
