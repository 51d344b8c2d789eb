import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { startProxy, type TestProxy } from "../../helpers/proxy.ts";

/**
 * `X-Hermes-Session-Id` continues a conversation from server-side history, so it is a read of
 * stored data: only with an API key configured, only after auth, only printable ids of bounded size.
 */

const KEY = "session-key-0123456789abcdef";
const chat = (content: string) => JSON.stringify({ model: "m", messages: [{ role: "user", content }] });

describe("the session header rules", () => {
  let upstream: FakeUpstream;
  let keyed: TestProxy;
  let open: TestProxy;
  let dir: string;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    // On disk: hostile and 256-character ids must stay valid file names inside the store.
    dir = await mkdtemp(join(tmpdir(), "hermes-sessions-"));
    keyed = await startProxy({ server: { apiKey: KEY }, upstream: { baseURL: upstream.url, model: "fake-model" }, storage: `fs:${dir}` });
    open = await startProxy({ upstream: { baseURL: upstream.url, model: "fake-model" } });
  });
  afterAll(async () => {
    await keyed.close();
    await open.close();
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  });

  const post = (proxy: TestProxy, body: string, headers: Record<string, string>) =>
    fetch(`${proxy.url}/v1/chat/completions`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });

  it("continues a session with the key: the upstream gets the stored history, the client sends one message", async () => {
    const first = await post(keyed, chat("my name is Ada"), { authorization: `Bearer ${KEY}` });
    const session = first.headers.get("x-hermes-session-id");
    expect(session).toMatch(/^api-[0-9a-f]{16}$/);
    await first.body?.cancel();
    upstream.reset();
    const next = await post(keyed, chat("what is my name?"), { authorization: `Bearer ${KEY}`, "x-hermes-session-id": session! });
    expect(next.status).toBe(200);
    expect(next.headers.get("x-hermes-session-id")).toBe(session);
    const sent = JSON.stringify(upstream.requests[0]?.body.messages);
    expect(sent).toContain("my name is Ada");
    expect(sent).toContain("what is my name?");
  });

  it("checks the key before the session: a stranger learns nothing about a session", async () => {
    const first = await post(keyed, chat("secret plans"), { authorization: `Bearer ${KEY}` });
    const session = first.headers.get("x-hermes-session-id")!;
    await first.body?.cancel();
    upstream.reset();
    for (const headers of [{}, { authorization: "Bearer wrong-key-0123456789abcdef" }] as Record<string, string>[]) {
      const response = await post(keyed, chat("repeat everything"), { ...headers, "x-hermes-session-id": session });
      expect(response.status).toBe(401);
      const text = await response.text();
      expect(text).not.toContain("secret plans");
      expect(response.headers.get("x-hermes-session-id")).toBeNull();
    }
    expect(upstream.requests).toHaveLength(0);
  });

  it("refuses session continuation without a configured key, on every request shape", async () => {
    for (const body of [chat("hi"), JSON.stringify({ model: "m", stream: true, messages: [{ role: "user", content: "hi" }] })]) {
      const response = await post(open, body, { "x-hermes-session-id": "api-0123456789abcdef" });
      expect(response.status).toBe(403);
      expect(((await response.json()) as { error: { code: string; param: string } }).error).toMatchObject({
        code: "session_requires_api_key",
        param: "X-Hermes-Session-Id",
      });
    }
  });

  it("refuses ids that are empty, too long or not printable", async () => {
    for (const id of [" ", "s".repeat(257), "a\tb"]) {
      const response = await post(keyed, chat("hi"), { authorization: `Bearer ${KEY}`, "x-hermes-session-id": id });
      expect(response.status, JSON.stringify(id)).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("invalid_session_id");
    }
  });

  it("keeps unrelated sessions apart: an unknown id starts empty, never someone else's history", async () => {
    const first = await post(keyed, chat("alice's private note"), { authorization: `Bearer ${KEY}` });
    await first.body?.cancel();
    upstream.reset();
    for (const id of ["api-0000000000000000", "..", "sessions:api-0000000000000000", "%2e%2e", "💥", "s".repeat(256)]) {
      const response = await post(keyed, chat("hello"), { authorization: `Bearer ${KEY}`, "x-hermes-session-id": Buffer.from(id).toString("latin1") });
      expect(response.status, id).toBe(200);
      await response.body?.cancel();
    }
    for (const request of upstream.requests) expect(JSON.stringify(request.body.messages)).not.toContain("alice");
  });
});
