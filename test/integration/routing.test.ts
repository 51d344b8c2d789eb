import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readSse } from "../helpers/sse.ts";
import { alphaKey, betaKey, startTwoProviders, type TwoProviders } from "../helpers/two-providers.ts";

let rig: TwoProviders;

beforeAll(async () => {
  rig = await startTwoProviders();
});
afterAll(async () => {
  await rig.close();
});
afterEach(() => {
  rig.alpha.reset();
  rig.beta.reset();
});

const ask = (model: string, text = "Hello there") => rig.proxy.client.chat.completions.create({ model, messages: [{ role: "user", content: text }] });

describe("routing by model over two upstreams", () => {
  it("sends each model to its own upstream with the upstream's model name, and reports the client's name back", async () => {
    const smart = await ask("smart", "alpha please");
    expect(smart).toMatchObject({ model: "smart", choices: [{ message: { content: "alpha please" } }] });
    const fast = await ask("fast", "beta please");
    expect(fast).toMatchObject({ model: "fast", choices: [{ message: { content: "beta please" } }] });

    expect(rig.alpha.requests).toMatchObject([
      { path: "/v1/chat/completions", body: { model: "alpha-large" }, headers: { authorization: `Bearer ${alphaKey}` } },
    ]);
    // beta speaks the Responses API; the route's default temperature rides along.
    expect(rig.beta.requests).toMatchObject([
      { path: "/v1/responses", body: { model: "beta-small", temperature: 0.3 }, headers: { authorization: `Bearer ${betaKey}` } },
    ]);
  });

  it("routes the Responses API and the Runs API the same way", async () => {
    const response = await rig.proxy.client.responses.create({ model: "fast", input: "via responses" });
    expect(response).toMatchObject({ model: "fast", output_text: "via responses" });
    expect(rig.beta.requests.at(-1)?.body).toMatchObject({ model: "beta-small" });

    const started = await fetch(`${rig.proxy.url}/v1/runs`, { method: "POST", body: JSON.stringify({ model: "smart", input: "via runs" }) });
    expect(started.status).toBe(202);
    const { run_id } = (await started.json()) as { run_id: string };
    const events = await fetch(`${rig.proxy.url}/v1/runs/${run_id}/events`);
    for await (const frame of readSse(events)) if (frame.event === "run.completed" || frame.event === "run.failed") break;
    expect(rig.alpha.requests.at(-1)?.body).toMatchObject({ model: "alpha-large" });
  });

  it("lists the advertised names in /v1/models, never an upstream or a key", async () => {
    const response = await fetch(`${rig.proxy.url}/v1/models`);
    const text = await response.text();
    expect(JSON.parse(text).data.map((model: { id: string }) => model.id)).toEqual(["smart", "fast"]);
    for (const secret of [alphaKey, betaKey, rig.alpha.url, "alpha-large"]) expect(text).not.toContain(secret);
  });

  it("answers 404 model_not_found for a model the table does not have", async () => {
    await expect(ask("gpt-4o")).rejects.toMatchObject({ status: 404, code: "model_not_found", param: "model" });
    expect(rig.alpha.requests).toHaveLength(0);
  });

  it("passes the client's X-Request-Id to the upstream, and returns it (or a new one) to the client", async () => {
    const response = await fetch(`${rig.proxy.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "trace-abc.123" },
      body: JSON.stringify({ model: "smart", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(response.headers.get("x-request-id")).toBe("trace-abc.123");
    expect(rig.alpha.requests[0]?.headers["x-request-id"]).toBe("trace-abc.123");

    const insane = await fetch(`${rig.proxy.url}/v1/models`, { headers: { "x-request-id": 'has spaces and "quotes"' } });
    expect(insane.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{32}$/);
  });
});

describe("fallbacks", () => {
  it("falls back to the next upstream, with its own model, when the first fails before its first byte", async () => {
    rig.alpha.enqueue({ status: 503 });
    const answer = await ask("smart", "rescued");
    expect(answer).toMatchObject({ model: "smart", choices: [{ message: { content: "rescued" } }] });
    expect(rig.alpha.requests).toHaveLength(1);
    expect(rig.beta.requests).toMatchObject([{ body: { model: "beta-large" } }]);
  });

  it("never retries after the first byte: a stream cut midway ends in an error, and no other upstream is asked", async () => {
    rig.alpha.enqueue({ text: "one two three four five six", resetAfter: 3 });
    const response = await fetch(`${rig.proxy.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "smart", stream: true, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(response.status).toBe(200);
    const frames = [];
    for await (const frame of readSse(response)) frames.push(frame);
    const text = frames.map((frame) => frame.data).join("\n");
    expect(text).toContain("one");
    expect(text).toContain("upstream_error");
    expect(text).not.toContain("six");
    expect(rig.beta.requests).toHaveLength(0);
  });

  it("skips an upstream after 2 consecutive failures until the cool-down has passed (fake clock)", async () => {
    // The failures above count too: let the cool-down pass and close the circuit with one success first.
    rig.advance(10_000);
    await ask("smart");
    rig.alpha.reset();
    rig.beta.reset();

    rig.alpha.enqueue({ status: 500 }, { status: 500 });
    await ask("smart");
    await ask("smart");
    expect(rig.alpha.requests).toHaveLength(2);

    const detailed = await (await fetch(`${rig.proxy.url}/health/detailed`)).json();
    expect(detailed.upstreams).toEqual([
      { name: "alpha", kind: "chat", host: new URL(rig.alpha.url).host, circuit: "open" },
      { name: "beta", kind: "responses", host: new URL(rig.beta.url).host, circuit: "closed" },
    ]);

    await ask("smart");
    expect(rig.alpha.requests).toHaveLength(2);
    expect(rig.beta.requests).toHaveLength(3);

    rig.advance(10_000);
    const answer = await ask("smart", "alpha is back");
    expect(answer.choices[0]?.message.content).toBe("alpha is back");
    expect(rig.alpha.requests).toHaveLength(3);
    expect(rig.beta.requests).toHaveLength(3);
  });
});
