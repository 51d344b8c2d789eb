import { APIError } from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import calculator from "../../plugins/tool-calculator/index.ts";
import clock from "../../plugins/tool-clock/index.ts";
import { definePlugin, defineTool } from "../../sdk/index.ts";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { startProxy, type TestProxy } from "../helpers/proxy.ts";
import { parseSse } from "../helpers/sse.ts";

const KEY = "parity-test-key-0123456789";

/** What the original server does that its clients notice (issue 15, item 8), against the real server. */
describe("parity with the original server", () => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;
  /** What the `remember` tool saw of each call's scope. */
  const scopes: { sessionKey: string | undefined; sessionId: string | undefined }[] = [];
  const hookKeys: (string | undefined)[] = [];

  const remember = defineTool({
    name: "remember",
    description: "Stores a fact in the caller's long-term memory.",
    parameters: z.object({ fact: z.string() }),
    execute: ({ fact }, { sessionKey, sessionId }) => {
      scopes.push({ sessionKey, sessionId });
      return `remembered ${fact}`;
    },
  });

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    proxy = await startProxy({
      server: { apiKey: KEY },
      upstream: { baseURL: upstream.url, model: "fake-model", maxRetries: 0 },
      agent: { maxIterations: 2 },
      plugins: [calculator(), clock(), definePlugin({ name: "memory", tools: [remember], hooks: { onRunStart: (run) => void hookKeys.push(run.sessionKey) } })],
    });
  });
  afterEach(() => {
    upstream.reset();
    scopes.length = 0;
    hookKeys.length = 0;
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${proxy.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  const chat = (content: string, headers: Record<string, string> = {}) =>
    post("/v1/chat/completions", { model: "hermes-agent", messages: [{ role: "user", content }] }, headers);

  describe("X-Hermes-Completed, X-Hermes-Partial and X-Hermes-Error on chat answers that are not whole", () => {
    it("marks an answer cut short by the output limit, still a 200", async () => {
      upstream.enqueue({ text: "The beginning of a long", finishReason: "length" });
      const response = await chat("Tell me everything");
      expect(response.status).toBe(200);
      const body = (await response.json()) as { choices: { finish_reason: string; message: { content: string } }[] };
      expect(body.choices[0]).toMatchObject({ finish_reason: "length", message: { content: "The beginning of a long" } });
      expect(response.headers.get("x-hermes-completed")).toBe("false");
      expect(response.headers.get("x-hermes-partial")).toBe("true");
      expect(response.headers.get("x-hermes-error")).toBe("The answer was cut short (max_output_tokens)");
    });

    it("marks a run stopped by agent.maxIterations", async () => {
      upstream.script(() => ({ toolCalls: [{ name: "calculate", arguments: { expression: "1+1" } }] }));
      const response = await chat("loop");
      expect(response.status).toBe(200);
      expect(upstream.requests).toHaveLength(2);
      expect(response.headers.get("x-hermes-partial")).toBe("true");
      expect(response.headers.get("x-hermes-error")).toBe("The answer was cut short (max_iterations)");
    });

    it("marks a run that failed after some text, and one that failed before any", async () => {
      // A non-stream client's step is asked for as JSON; an upstream that streams anyway is read as a
      // stream, so some text is in before the reset.
      upstream.enqueue({ text: "one two three four five", resetAfter: 3, alwaysStream: true });
      const cut = await chat("count");
      expect(cut.status).toBe(502);
      expect(((await cut.json()) as { error: { code: string } }).error.code).toBe("upstream_error");
      expect(cut.headers.get("x-hermes-completed")).toBe("false");
      expect(cut.headers.get("x-hermes-partial")).toBe("true");
      expect(cut.headers.get("x-hermes-error")).toMatch(/\S/);

      upstream.enqueue({
        status: 400,
        body: { error: { message: "bad \u00e9 input\nhere", type: "invalid_request_error", code: "invalid_value", param: null } },
      });
      const refused = await chat("x");
      expect(refused.status).toBe(400);
      expect(refused.headers.get("x-hermes-partial")).toBe("false");
      // Printable ASCII only: a header cannot carry a newline or, safely, anything else.
      expect(refused.headers.get("x-hermes-error")).toBe("bad input here");
    });

    it("leaves a whole answer without them", async () => {
      upstream.enqueue({ text: "All of it." });
      const response = await chat("hi");
      expect(response.status).toBe(200);
      expect(response.headers.get("x-hermes-completed")).toBeNull();
      expect(response.headers.get("x-hermes-error")).toBeNull();
      await response.body?.cancel();
    });
  });

  describe("X-Hermes-Session-Key", () => {
    const key = { "x-hermes-session-key": "  user-42@example  " };

    it("reaches tools and hooks on Chat Completions, and is echoed, trimmed", async () => {
      upstream.enqueue({ toolCalls: [{ id: "call_m", name: "remember", arguments: { fact: "likes tea" } }] }, { text: "Noted." });
      const response = await chat("Remember I like tea", key);
      expect(response.status).toBe(200);
      expect(response.headers.get("x-hermes-session-key")).toBe("user-42@example");
      expect(scopes).toEqual([{ sessionKey: "user-42@example", sessionId: response.headers.get("x-hermes-session-id") }]);
      expect(hookKeys).toEqual(["user-42@example"]);
      expect(upstream.requests[1]?.body.messages.at(-1)).toMatchObject({ role: "tool", content: "remembered likes tea" });
    });

    it("reaches tools on the Responses API (streamed too) and on a Runs API run", async () => {
      upstream.enqueue({ toolCalls: [{ name: "remember", arguments: { fact: "a" } }] }, { text: "ok" });
      const json = await post("/v1/responses", { model: "hermes-agent", input: "remember a" }, key);
      expect(json.status).toBe(200);
      expect(json.headers.get("x-hermes-session-key")).toBe("user-42@example");

      upstream.enqueue({ toolCalls: [{ name: "remember", arguments: { fact: "b" } }] }, { text: "ok" });
      const streamed = await post("/v1/responses", { model: "hermes-agent", input: "remember b", stream: true }, key);
      expect(streamed.headers.get("x-hermes-session-key")).toBe("user-42@example");
      expect(parseSse(await streamed.text()).at(-1)?.event).toBe("response.completed");

      upstream.enqueue({ toolCalls: [{ name: "remember", arguments: { fact: "c" } }] }, { text: "ok" });
      const started = await post("/v1/runs", { input: "remember c" }, key);
      expect(started.status).toBe(202);
      expect(started.headers.get("x-hermes-session-key")).toBe("user-42@example");
      const { run_id } = (await started.json()) as { run_id: string };
      await fetch(`${proxy.url}/v1/runs/${run_id}/events`, { headers: { authorization: `Bearer ${KEY}` } }).then((r) => r.text());
      expect(scopes.map((scope) => scope.sessionKey)).toEqual(["user-42@example", "user-42@example", "user-42@example"]);
      // The key is a scope, not a session: each of these kept its own session id.
      expect(new Set(scopes.map((scope) => scope.sessionId)).size).toBe(3);
    });

    it("is absent for tools when the request sends none", async () => {
      upstream.enqueue({ toolCalls: [{ name: "remember", arguments: { fact: "x" } }] }, { text: "ok" });
      const response = await chat("remember x");
      expect(response.headers.get("x-hermes-session-key")).toBeNull();
      expect(scopes[0]?.sessionKey).toBeUndefined();
    });

    it("refuses control characters and over-long keys with 400, before any upstream call", async () => {
      for (const value of ["a\tb", "k".repeat(257), "   "]) {
        const response = await chat("x", { "x-hermes-session-key": value });
        expect(response.status, JSON.stringify(value)).toBe(400);
        expect(((await response.json()) as { error: { code: string; param: string } }).error).toMatchObject({
          code: "invalid_session_key",
          param: "X-Hermes-Session-Key",
        });
      }
      expect(upstream.requests).toHaveLength(0);
    });
  });

  it("answers a message list with instructions alone 400 missing_user_message, as the original's 'No user message found'", async () => {
    const response = await post("/v1/chat/completions", {
      model: "hermes-agent",
      messages: [
        { role: "system", content: "Be nice." },
        { role: "developer", content: "Short." },
      ],
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string; code: string; param: string } }).error).toEqual({
      message: "No user message found in messages",
      type: "invalid_request_error",
      code: "missing_user_message",
      param: "messages",
    });
    expect(upstream.requests).toHaveLength(0);
  });

  it("lists the server tools by plugin at GET /v1/toolsets, in the original's shape", async () => {
    const response = await fetch(`${proxy.url}/v1/toolsets`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      object: string;
      platform: string;
      data: { name: string; tools: string[]; enabled: boolean; configured: boolean; label: string; description: string }[];
    };
    expect(body).toMatchObject({ object: "list", platform: "api_server" });
    expect(body.data.map((set) => [set.name, set.tools])).toEqual([
      ["tool-calculator", ["calculate"]],
      ["tool-clock", ["get_current_time"]],
      ["memory", ["remember"]],
    ]);
    for (const set of body.data)
      expect(set).toMatchObject({ label: set.name, enabled: true, configured: true, description: expect.stringContaining(set.tools[0]!) });
    expect((await fetch(`${proxy.url}/v1/toolsets`)).status).toBe(401);
  });

  it("tells a Runs API run stopped by agent.maxIterations as incomplete in its status object, not completed", async () => {
    upstream.enqueue(
      { text: "Let me add.", toolCalls: [{ name: "calculate", arguments: { expression: "2+2" } }] },
      { text: "Still adding.", toolCalls: [{ name: "calculate", arguments: { expression: "4+4" } }] },
    );
    const started = await post("/v1/runs", { input: "add forever" });
    const { run_id, status } = (await started.json()) as { run_id: string; status: string };
    expect(status).toBe("started");
    await fetch(`${proxy.url}/v1/runs/${run_id}/events`, { headers: { authorization: `Bearer ${KEY}` } }).then((r) => r.text());
    const run = (await (await fetch(`${proxy.url}/v1/runs/${run_id}`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as Record<string, unknown>;
    // `output` is the answer since the last tool round, as in `run.completed`: none came after it.
    expect(run).toMatchObject({
      status: "incomplete",
      incomplete_reason: "max_iterations",
      last_event: "run.completed",
      output: "",
      error: null,
      error_code: null,
    });
    expect(upstream.requests).toHaveLength(2);
  });
});

describe("the defaults: no API key, the 10 MB body limit", () => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;
  beforeAll(async () => {
    upstream = await startFakeUpstream();
    proxy = await startProxy({ upstream: { baseURL: upstream.url, model: "fake-model" } });
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  it("refuses X-Hermes-Session-Key with 403, as the original does: anyone reaching the port could pick another's scope", async () => {
    for (const path of ["/v1/chat/completions", "/v1/responses", "/v1/runs"]) {
      const body =
        path === "/v1/chat/completions" ? { model: "hermes-agent", messages: [{ role: "user", content: "x" }] } : { model: "hermes-agent", input: "x" };
      const response = await fetch(`${proxy.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-hermes-session-key": "user-1" },
        body: JSON.stringify(body),
      });
      expect(response.status, path).toBe(403);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("session_requires_api_key");
    }
    expect(upstream.requests).toHaveLength(0);
  });

  it("takes, under the 10 MB default body limit, a 6 MB base64 image, which 1 MB refused, and refuses a body past 10,000,000 bytes with 413", async () => {
    const image = `data:image/png;base64,${"A".repeat(6_000_000)}`;
    upstream.enqueue({ text: "A very large picture." });
    const completion = await proxy.client.chat.completions.create({
      model: "hermes-agent",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image_url", image_url: { url: image } },
          ],
        },
      ],
    });
    expect(completion.choices[0]?.message.content).toBe("A very large picture.");
    const sent = upstream.requests[0]?.body.messages.at(-1) as { content: { type: string; image_url?: { url: string } }[] };
    expect(sent.content.find((part) => part.type === "image_url")?.image_url?.url).toBe(image);

    const tooBig = JSON.stringify({ model: "hermes-agent", messages: [{ role: "user", content: "x".repeat(10_000_001) }] });
    const error = await proxy.client.chat.completions
      .create(JSON.parse(tooBig) as { model: string; messages: { role: "user"; content: string }[] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(413);
    expect((error as APIError).code).toBe("body_too_large");
    expect(upstream.requests).toHaveLength(1);
  });
});
