import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import clock from "../../plugins/tool-clock/index.ts";
import { contentMarkers, runKnownSequence } from "../helpers/known-sequence.ts";
import { startProxy } from "../helpers/proxy.ts";
import { alphaKey, betaKey, startTwoProviders, type TwoProviders } from "../helpers/two-providers.ts";

interface Family {
  name: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string> }[];
}

const apiKey = "proxy-key-0123456789abcdef";
let rig: TwoProviders;
let exposition: string;
let families: Family[];

/** The value of the series of `name` whose labels include `labels`, or undefined when there is none. */
function value(name: string, labels: Record<string, string> = {}): number | undefined {
  const family = families.find((entry) => entry.name === name);
  const series = family?.metrics.find((metric) => Object.entries(labels).every(([key, wanted]) => metric.labels?.[key] === wanted));
  return series?.value === undefined ? undefined : Number(series.value);
}

/** A labelled histogram's sample count, read from its `_count` line (the parser flattens labelled histograms). */
function histogramCount(name: string, labels: Record<string, string>): number {
  const line = exposition
    .split("\n")
    .find((candidate) => candidate.startsWith(`${name}_count{`) && Object.entries(labels).every(([key, wanted]) => candidate.includes(`${key}="${wanted}"`)));
  return line === undefined ? 0 : Number(line.split(" ").at(-1));
}

beforeAll(async () => {
  rig = await startTwoProviders({ server: { apiKey }, metrics: { enabled: true }, plugins: [clock()] });
  await runKnownSequence(rig);
  const response = await fetch(`${rig.proxy.url}/metrics`, { headers: { authorization: `Bearer ${apiKey}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  exposition = await response.text();
  if (process.env.PRINT_METRICS) console.log(exposition);
  families = parsePrometheusTextFormat(exposition) as Family[];
});
afterAll(async () => {
  await rig.close();
});

describe("GET /metrics after a known sequence of requests", () => {
  it("counts requests by route, format, model and status", () => {
    const chat = { method: "POST", route: "/v1/chat/completions", format: "chat" };
    expect(value("hermes_http_requests_total", { ...chat, model: "smart", status: "200" })).toBe(3);
    expect(value("hermes_http_requests_total", { ...chat, model: "fast", status: "200" })).toBe(1);
    expect(value("hermes_http_requests_total", { ...chat, model: "none", status: "404" })).toBe(1);
    expect(histogramCount("hermes_http_request_duration_seconds", chat)).toBe(5);
    expect(histogramCount("hermes_http_time_to_first_byte_seconds", chat)).toBe(5);
  });

  it("counts upstream calls, errors and fallbacks by upstream", () => {
    expect(value("hermes_upstream_requests_total", { upstream: "alpha", model: "alpha-large", outcome: "ok" })).toBe(3);
    expect(value("hermes_upstream_requests_total", { upstream: "alpha", model: "alpha-large", outcome: "error" })).toBe(1);
    expect(value("hermes_upstream_requests_total", { upstream: "beta", model: "beta-small", outcome: "ok" })).toBe(1);
    expect(value("hermes_upstream_requests_total", { upstream: "beta", model: "beta-large", outcome: "ok" })).toBe(1);
    expect(value("hermes_upstream_errors_total", { upstream: "alpha", code: "upstream_error" })).toBe(1);
    expect(value("hermes_upstream_fallbacks_total", { model: "smart", from: "alpha", to: "beta", reason: "5xx" })).toBe(1);
    expect(histogramCount("hermes_upstream_request_duration_seconds", { upstream: "alpha", outcome: "ok" })).toBe(3);
    expect(histogramCount("hermes_upstream_time_to_first_byte_seconds", { upstream: "beta" })).toBe(2);
    expect(value("hermes_upstream_circuit_open", { upstream: "alpha" })).toBe(0);
  });

  it("counts tokens in and out by the model the client named", () => {
    expect(value("hermes_tokens_total", { model: "smart", type: "input" })).toBe(50);
    expect(value("hermes_tokens_total", { model: "smart", type: "output" })).toBe(18);
    expect(value("hermes_tokens_total", { model: "fast", type: "input" })).toBe(7);
    expect(value("hermes_tokens_total", { model: "fast", type: "output" })).toBe(3);
  });

  it("counts tool calls by tool and outcome, and storage operations by driver", () => {
    expect(value("hermes_tool_calls_total", { tool: "get_current_time", outcome: "ok" })).toBe(1);
    expect(histogramCount("hermes_tool_call_duration_seconds", { tool: "get_current_time" })).toBe(1);
    expect(histogramCount("hermes_storage_operation_duration_seconds", { driver: "memory", operation: "setItem" })).toBeGreaterThan(0);
  });

  it("shows what is in flight now: this scrape, no stream, no run", () => {
    expect(value("hermes_http_requests_in_flight")).toBe(1);
    expect(value("hermes_http_streams_in_flight", { format: "chat" })).toBe(0);
    expect(value("hermes_runs_in_flight")).toBe(0);
    expect(value("process_resident_memory_bytes")).toBeGreaterThan(0);
  });

  it("never holds a key, a message or an upstream address", () => {
    for (const secret of [apiKey, alphaKey, betaKey, rig.alpha.url, rig.beta.url, ...contentMarkers]) expect(exposition).not.toContain(secret);
  });

  it("is behind the API key", async () => {
    const response = await fetch(`${rig.proxy.url}/metrics`);
    expect(response.status).toBe(401);
  });
});

describe("metrics options", () => {
  it("has no /metrics unless metrics are enabled", async () => {
    const proxy = await startProxy();
    try {
      expect((await fetch(`${proxy.url}/metrics`)).status).toBe(404);
      expect(proxy.hermes.metricsURL).toBeUndefined();
    } finally {
      await proxy.close();
    }
  });

  it("serves /metrics on its own port, without the key, when metrics.port is set", async () => {
    const proxy = await startProxy({ server: { apiKey }, metrics: { enabled: true, port: 0, processMetrics: false } });
    try {
      expect(proxy.hermes.metricsURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const scraped = await fetch(`${proxy.hermes.metricsURL}/metrics`);
      expect(scraped.status).toBe(200);
      const text = await scraped.text();
      expect(text).toContain("hermes_build_info");
      expect(text).not.toContain("process_cpu");
      expect((await fetch(`${proxy.hermes.metricsURL}/v1/models`)).status).toBe(404);
      // Not on the main port: it is served on one place only.
      expect((await fetch(`${proxy.url}/metrics`, { headers: { authorization: `Bearer ${apiKey}` } })).status).toBe(404);
    } finally {
      await proxy.close();
    }
  });
});
