import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { startProxy, type TestProxy } from "../helpers/proxy.ts";

/**
 * Ids a client chooses (conversation names, `previous_response_id`, run session ids) end up in
 * storage keys. On the fs storage, the ones that used to break a key — a lone surrogate (which
 * `encodeURIComponent` throws on) or a long name (a file name over 255 bytes) — must be an ordinary
 * 2xx/4xx, never a 500, and must stay inside the data directory.
 */

// JSON can carry a lone surrogate; `JSON.stringify` writes it as an escape, as a client would.
const lone = "conv-\ud800";
const long = "é".repeat(256);

describe("hostile client-chosen ids on the fs storage", () => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;
  let root: string;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    root = await mkdtemp(join(tmpdir(), "hermes-ids-"));
    proxy = await startProxy({ upstream: { baseURL: upstream.url, model: "fake-model" }, storage: `fs:${join(root, "data")}` });
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
    await rm(root, { recursive: true, force: true });
  });

  const post = (path: string, body: unknown) => fetch(`${proxy.url}${path}`, { method: "POST", body: JSON.stringify(body) });

  it("answers an unknown previous_response_id with a lone surrogate with 404, not 500", async () => {
    const response = await post("/v1/responses", { model: "m", input: "hi", previous_response_id: "resp_\udfff" });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("previous_response_not_found");
  });

  for (const [label, name] of [
    ["a lone surrogate", lone],
    ["256 two-byte characters", long],
  ] as const) {
    it(`chains a conversation named with ${label}`, async () => {
      const first = await post("/v1/responses", { model: "m", input: "remember the word pelican", conversation: name });
      expect(first.status).toBe(200);
      upstream.reset();
      const second = await post("/v1/responses", { model: "m", input: "which word?", conversation: name });
      expect(second.status).toBe(200);
      expect(JSON.stringify(upstream.requests[0]?.body.messages)).toContain("pelican");
    });
  }

  it("refuses a run whose session id cannot travel in a header (a lone surrogate, an emoji) before anything is written", async () => {
    upstream.reset();
    for (const sessionId of ["sess-\ud800", "sess-💥"]) {
      const refused = await post("/v1/runs", { input: "hi", session_id: sessionId });
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("invalid_session_id");
    }
    expect(upstream.requests).toHaveLength(0);
  });

  it("starts a run whose session id holds Latin-1 letters", async () => {
    upstream.reset();
    const response = await post("/v1/runs", { input: "hi", session_id: "sess-é" });
    expect(response.status).toBe(202);
    const { run_id: id } = (await response.json()) as { run_id: string };
    const events = await (await fetch(`${proxy.url}/v1/runs/${id}/events`)).text();
    expect(events).toContain('"event":"run.completed"');
  });

  it("kept everything inside the data directory", async () => {
    expect(await readdir(root)).toEqual(["data"]);
  });
});
