import { createStorage } from "unstorage";
import memoryDriver from "unstorage/drivers/memory";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import clock from "../../plugins/tool-clock/index.ts";
import { defineStorage } from "../../sdk/index.ts";
import { keys } from "../../src/state/keys.ts";
import { contentMarkers, runKnownSequence } from "../helpers/known-sequence.ts";
import { startProxy } from "../helpers/proxy.ts";
import { readSse } from "../helpers/sse.ts";
import { alphaKey, betaKey, startTwoProviders, type TwoProviders } from "../helpers/two-providers.ts";

const apiKey = "proxy-key-0123456789abcdef";
const driver = memoryDriver();
const state = createStorage({ driver });
const lines: string[] = [];
let rig: TwoProviders;

const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

beforeAll(async () => {
  rig = await startTwoProviders(
    { server: { apiKey }, logs: { requests: true, format: "json" }, plugins: [clock(), defineStorage({ name: "memory", driver })] },
    { writeLog: (line) => lines.push(line) },
  );
  await runKnownSequence(rig);
});
afterAll(async () => {
  await rig.close();
});

describe("the request log", () => {
  it("writes one JSON line per request: id, route, model, upstream, status, timings, tokens, error code", () => {
    const chat = parsed().filter((line) => line.route === "/v1/chat/completions");
    expect(chat).toHaveLength(5);
    expect(chat.map((line) => [line.model, line.upstream, line.status, line.input_tokens, line.output_tokens, line.error_code])).toEqual([
      ["smart", "alpha", 200, 10, 5, undefined],
      ["fast", "beta", 200, 7, 3, undefined],
      // Alpha failed, beta answered: the request did not fail.
      ["smart", "beta", 200, 8, 4, undefined],
      [undefined, undefined, 404, undefined, undefined, "model_not_found"],
      ["smart", "alpha", 200, 32, 9, undefined],
    ]);
    for (const line of chat) {
      expect(line).toMatchObject({ msg: "request", method: "POST", format: "chat", request_id: expect.stringMatching(/^req_[0-9a-f]{32}$/) });
      expect(line.duration_ms).toEqual(expect.any(Number));
      expect(line.ttfb_ms).toEqual(expect.any(Number));
    }
    expect(chat[1]).toMatchObject({ streamed: true, level: "info" });
    expect(chat[3]).toMatchObject({ level: "warn" });
  });

  it("never writes a message, a key or a header", () => {
    const text = lines.join("\n");
    for (const secret of [apiKey, alphaKey, betaKey, "Bearer", "authorization", ...contentMarkers]) expect(text).not.toContain(secret);
  });

  it("uses the client's X-Request-Id, and stores the id with the response and the run it created", async () => {
    const response = await fetch(`${rig.proxy.url}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", "x-request-id": "client-req-42" },
      body: JSON.stringify({ model: "fast", input: "hello", store: true }),
    });
    expect(response.headers.get("x-request-id")).toBe("client-req-42");
    const { id } = (await response.json()) as { id: string };
    expect(await state.getItem(keys.response(id))).toMatchObject({ requestId: "client-req-42" });
    expect(rig.beta.requests.at(-1)?.headers["x-request-id"]).toBe("client-req-42");
    expect(parsed().at(-1)).toMatchObject({
      request_id: "client-req-42",
      route: "/v1/responses",
      format: "responses",
      model: "fast",
      upstream: "beta",
      status: 200,
    });

    const started = await fetch(`${rig.proxy.url}/v1/runs`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", "x-request-id": "client-run-7" },
      body: JSON.stringify({ model: "smart", input: "hello" }),
    });
    const { run_id } = (await started.json()) as { run_id: string };
    const events = await fetch(`${rig.proxy.url}/v1/runs/${run_id}/events`, { headers: { authorization: `Bearer ${apiKey}` } });
    for await (const frame of readSse(events)) if (frame.event === "run.completed" || frame.event === "run.failed") break;
    expect(await state.getItem(keys.run(run_id))).toMatchObject({ requestId: "client-run-7" });
    // The detached run's upstream calls carry the id of the request that started it.
    expect(rig.alpha.requests.at(-1)?.headers["x-request-id"]).toBe("client-run-7");
    expect(parsed().find((line) => line.request_id === "client-run-7")).toMatchObject({ route: "/v1/runs", format: "runs", status: 202 });
  });

  it("logs refusals too, with their code", async () => {
    await fetch(`${rig.proxy.url}/v1/models`);
    expect(parsed().at(-1)).toMatchObject({ route: "/v1/models", status: 401, error_code: "invalid_api_key" });
  });

  it("names the field a 400 is about", async () => {
    const response = await fetch(`${rig.proxy.url}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ input: "x", tools: [{ type: "function", name: "bad name" }] }),
    });
    expect(response.status).toBe(400);
    expect(parsed().at(-1)).toMatchObject({ route: "/v1/responses", status: 400, error_code: "invalid_request", error_param: "tools[0].name" });
  });
});

describe("request log settings", () => {
  it("is off unless asked for (embedded, and in tests)", async () => {
    const written: string[] = [];
    const proxy = await startProxy({}, { writeLog: (line) => written.push(line) });
    try {
      await proxy.client.chat.completions.create({ model: "echo", messages: [{ role: "user", content: "hi" }] });
      expect(written).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it("adds the messages' text only when logs.contents asks for it, and reads well in pretty format", async () => {
    const written: string[] = [];
    const proxy = await startProxy({ logs: { requests: true, contents: true, format: "pretty" } }, { writeLog: (line) => written.push(line) });
    try {
      await proxy.client.chat.completions.create({ model: "echo", messages: [{ role: "user", content: "echo USER-MARKER-7f3a back" }] });
      expect(written).toHaveLength(1);
      expect(written[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} POST \/v1\/chat\/completions 200 [\d.]+ms echo via default \d+→\d+ tokens req_[0-9a-f]{32}\n/);
      expect(written[0]).toContain("  > echo USER-MARKER-7f3a back");
      expect(written[0]).toContain("  < echo USER-MARKER-7f3a back");
    } finally {
      await proxy.close();
    }
  });
});
