import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import otel from "../../plugins/otel/index.ts";
import clock from "../../plugins/tool-clock/index.ts";
import { contentMarkers, runKnownSequence } from "../helpers/known-sequence.ts";
import { alphaKey, betaKey, startTwoProviders, type TwoProviders } from "../helpers/two-providers.ts";

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
let rig: TwoProviders;
let spans: ReadableSpan[];

const requestSpans = () => spans.filter((span) => span.kind === SpanKind.SERVER);
const childrenOf = (parent: ReadableSpan) => spans.filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId);
const chatChildren = (parent: ReadableSpan) => childrenOf(parent).filter((span) => span.attributes["gen_ai.operation.name"] === "chat");

beforeAll(async () => {
  rig = await startTwoProviders({ plugins: [clock(), otel({ tracerProvider: provider })] });
  await runKnownSequence(rig);
  // A request span ends with its response: the last one may still be closing.
  for (let wait = 0; wait < 100 && exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.SERVER).length < 5; wait++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  spans = exporter.getFinishedSpans();
});
afterAll(async () => {
  await rig.close();
  await provider.shutdown();
});

describe("the otel plugin", () => {
  it("makes a server span per request, named after its route, with the request's outcome", () => {
    const requests = requestSpans();
    expect(requests.map((span) => span.name)).toEqual(Array(5).fill("POST /v1/chat/completions"));
    expect(requests.map((span) => [span.attributes["gen_ai.request.model"], span.attributes["http.response.status_code"]])).toEqual([
      ["smart", 200],
      ["fast", 200],
      ["smart", 200],
      [undefined, 404],
      ["smart", 200],
    ]);
    expect(requests[3]?.attributes).toMatchObject({ "error.type": "model_not_found", "http.route": "/v1/chat/completions" });
    expect(requests[3]?.status.code).toBe(SpanStatusCode.UNSET);
    expect(requests[0]?.attributes["hermes.request_id"]).toMatch(/^req_/);
    expect(requests[4]?.attributes).toMatchObject({ "gen_ai.usage.input_tokens": 32, "gen_ai.usage.output_tokens": 9 });
  });

  it("makes a client span per upstream call with the GenAI attributes, fallback attempts included", () => {
    const [first, , fallback, missing] = requestSpans();
    expect(chatChildren(first!)).toHaveLength(1);
    expect(chatChildren(first!)[0]).toMatchObject({
      name: "chat alpha-large",
      kind: SpanKind.CLIENT,
      attributes: {
        "gen_ai.operation.name": "chat",
        "gen_ai.system": "alpha",
        "gen_ai.request.model": "alpha-large",
        "gen_ai.usage.input_tokens": 10,
        "gen_ai.usage.output_tokens": 5,
        "gen_ai.response.finish_reasons": ["stop"],
        "hermes.upstream": "alpha",
        "server.address": "127.0.0.1",
      },
    });
    const [failed, rescued] = chatChildren(fallback!).sort(
      (a, b) => Number(a.attributes["hermes.upstream.attempt"]) - Number(b.attributes["hermes.upstream.attempt"]),
    );
    expect(failed).toMatchObject({
      name: "chat alpha-large",
      attributes: { "hermes.upstream.attempt": 0, "error.type": "upstream_error" },
      status: { code: SpanStatusCode.ERROR },
    });
    expect(rescued).toMatchObject({
      name: "chat beta-large",
      attributes: { "hermes.upstream.attempt": 1, "hermes.upstream.api": "responses", "gen_ai.usage.input_tokens": 8 },
    });
    expect(chatChildren(missing!)).toEqual([]);
  });

  it("makes a span per tool call and per storage operation under the request", () => {
    const withTool = requestSpans()[4]!;
    const children = childrenOf(withTool);
    expect(children.filter((span) => span.attributes["gen_ai.operation.name"] === "chat")).toHaveLength(2);
    expect(children.find((span) => span.name === "execute_tool get_current_time")).toMatchObject({
      kind: SpanKind.INTERNAL,
      attributes: { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_current_time", "gen_ai.tool.type": "function" },
    });
    // The session is saved after the answer, still within the request.
    expect(children.find((span) => span.name === "setItem memory")).toMatchObject({
      attributes: { "db.operation.name": "setItem", "hermes.storage.driver": "memory" },
    });
  });

  it("records no message, no key and no upstream URL", () => {
    const recorded = JSON.stringify(spans.map((span) => ({ name: span.name, attributes: span.attributes, status: span.status, events: span.events })));
    for (const secret of [alphaKey, betaKey, rig.alpha.url, rig.beta.url, ...contentMarkers]) expect(recorded).not.toContain(secret);
  });
});
