import { checkJson, checkStream } from "./checks.ts";
import { checkResponsesJson, checkResponsesStream } from "./checks-responses.ts";
import { JSON_CHUNKS } from "./replies.ts";
import { routedName } from "./routed.ts";
import { chatBody, ownConversation, responsesBody } from "./requests.ts";
import { type BenchRequest, clientScenario, loadScenario, type Row, type Scenario, type TargetName } from "./scenario.ts";

/**
 * Every scenario the bench runs, in order. Adding one is adding an entry: pick `loadScenario`
 * (throughput under a load generator) or `clientScenario` (first byte, checked answers), say what
 * hermes and the reference hops are sent, and which figures go in the table with which goal.
 * Goals are issue 18's bars (its table: ratios to the pipe proxy of the same run, first byte added to the
 * direct hop, KiB allocated per non-stream request), the same for Chat and for Responses over a Chat
 * upstream, bare and configured.
 * `peers: true` on the Chat scenarios: `--peers` measures the peer gateways there too (they speak Chat
 * only). `allocation: true`: the bytes each server allocates per request are counted in the measured load.
 */

const BURST = 64;

/** `hermesModel`: the name hermes is sent (a routed name, see `routed.ts`); the reference hops get `model`. */
const chat =
  (model: string, stream: boolean, chunks: number, hermesModel = model, opening?: typeof ownConversation) =>
  (target: TargetName): BenchRequest => ({
    path: "/v1/chat/completions",
    body: chatBody(target === "hermes" ? hermesModel : model, stream, opening),
    check: (text) => (stream ? checkStream(text, chunks) : checkJson(text, chunks)),
  });

/** Hermes gets the Responses request; the pipe proxy and the direct hop pass the same answer through as Chat. */
const responses =
  (model: string, stream: boolean, chunks: number, hermesModel = model, store = false) =>
  (target: TargetName): BenchRequest =>
    target === "hermes"
      ? {
          path: "/v1/responses",
          body: responsesBody(hermesModel, stream, store),
          check: (text) => (stream ? checkResponsesStream(text, chunks) : checkResponsesJson(text, chunks)),
        }
      : chat(model, stream, chunks)(target);

/**
 * Hermes with a `models` table (three routes, each with a fallback) and a plugin with run hooks
 * (`hermes-models-hooks.config.ts`): the configured proxy, measured in the `*-models-hooks` scenarios
 * against the same pipe proxy as the bare one.
 */
const MODELS_HOOKS = "hermes-models-hooks.config.ts";
const modelsHooksTitle = "with a models table (3 routes, fallbacks) and an onEvent/onRunEnd hook plugin";

const throughput = (unit: string, goal?: Row["goal"]): Row => ({ label: `throughput (${unit}/s)`, figure: "rps", digits: 0, ...(goal && { goal }) });
const latency: Row[] = [
  { label: "latency p50 (ms)", figure: "p50Ms", digits: 2 },
  { label: "latency p99 (ms)", figure: "p99Ms", digits: 2 },
];
const cpu = (unit: string, goal?: Row["goal"]): Row => ({ label: `CPU per ${unit} (ms)`, figure: "cpuMsPerRequest", digits: 3, ...(goal && { goal }) });
/** V8 heap bytes allocated inside the server per request (see `allocation-probe.mjs`); scenarios with it set `allocation: true`. */
const allocated = (unit: string, goal?: Row["goal"]): Row => ({
  label: `allocated per ${unit} (KiB)`,
  figure: "allocKiBPerRequest",
  digits: 1,
  ...(goal && { goal }),
});

/** Issue 18's bars for a non-stream request: throughput and CPU against the pipe proxy, bytes allocated. */
const jsonThroughput = throughput("req", { text: "≥ 0.75× pipe", of: "ratio", min: 0.75 });
const jsonCpu = cpu("request", { text: "≤ 1.6× pipe", of: "ratio", max: 1.6 });
const jsonAllocated = allocated("request", { text: "≤ 50 KiB", of: "value", max: 50 });

/** The 64-chunk burst at 50 connections: the rows of every burst scenario. */
const burstRows: Row[] = [throughput("stream", { text: "≥ 0.75× pipe", of: "ratio", min: 0.75 }), cpu("stream"), ...latency];

/** Streams of `BURST` chunks 1 ms apart, all at once: every frame checked, in order, and the servers' peak memory. */
const manyStreams = (streams: number, extra: Row[] = []): Row[] => [
  { label: "streams cut short or out of order", figure: "incomplete", digits: 0, goal: { text: `0 of ${streams}`, of: "value", max: 0 } },
  { label: "first byte p50 (ms)", figure: "ttfbP50Ms", digits: 1 },
  { label: "first byte p99 (ms)", figure: "ttfbP99Ms", digits: 1 },
  { label: "last byte p99 (ms)", figure: "totalP99Ms", digits: 1 },
  ...extra,
];

/** 64 chunks 1 ms apart, 10 at a time: the rows of every such scenario. */
const pacedRows: Row[] = [
  { label: "first byte p50 added to direct (ms)", figure: "ttfbP50Ms", digits: 2, added: true, goal: { text: "≤ +1 ms", of: "value", max: 1 } },
  { label: "first byte p99 added to direct (ms)", figure: "ttfbP99Ms", digits: 2, added: true, goal: { text: "≤ +5 ms", of: "value", max: 5 } },
  { label: "CPU per chunk (µs)", figure: "cpuUsPerChunk", digits: 1, goal: { text: "≤ 1.25× pipe", of: "ratio", max: 1.25 } },
];

export const scenarios: Scenario[] = [
  loadScenario({
    name: "chat-json-50",
    title: "Chat non-stream, 50 connections",
    connections: 50,
    memory: true,
    peers: true,
    allocation: true,
    request: chat("bench-json", false, JSON_CHUNKS),
    rows: [jsonThroughput, jsonCpu, ...latency, jsonAllocated],
  }),
  loadScenario({
    name: "chat-json-50-sessions",
    title: "Chat non-stream, 50 connections, every request a conversation of its own (a new session each)",
    connections: 50,
    // The other Chat scenarios send one conversation, so every request is a turn of one derived
    // session, whose writes batch; here each request creates a session, and past the store's
    // `maxEntries` evicts one, as a gateway in front of many users does.
    request: chat("bench-json", false, JSON_CHUNKS, "bench-json", ownConversation),
    rows: [jsonThroughput, jsonCpu, ...latency],
  }),
  loadScenario({
    name: "chat-json-over-sse-50",
    title: `Chat non-stream, upstream that honours \`stream\` (${JSON_CHUNKS} chunks when asked to), 50 connections`,
    connections: 50,
    memory: true,
    peers: true,
    // The upstream honours `stream`. Hermes asks a non-stream client's steps as JSON (issue 18), as the
    // pipe proxy passes the client's request on; before, it streamed them and parsed the stream back into one answer.
    request: chat(`bench-auto-${JSON_CHUNKS}`, false, JSON_CHUNKS),
    rows: [jsonThroughput, jsonCpu, ...latency],
  }),
  loadScenario({
    name: "chat-json-1",
    title: "Chat non-stream, 1 connection (sequential)",
    connections: 1,
    direct: true,
    peers: true,
    request: chat("bench-json", false, JSON_CHUNKS),
    rows: [
      { label: "latency p50 added to direct (ms)", figure: "p50Ms", digits: 3, added: true },
      { label: "latency p99 added to direct (ms)", figure: "p99Ms", digits: 3, added: true },
      cpu("request"),
    ],
  }),
  loadScenario({
    name: "chat-burst64-50",
    title: `Chat stream, ${BURST} chunks in one burst, 50 connections`,
    connections: 50,
    memory: true,
    peers: true,
    allocation: true,
    request: chat(`bench-burst-${BURST}`, true, BURST),
    rows: [...burstRows, allocated("stream")],
  }),
  clientScenario({
    name: "chat-paced64-10",
    title: `Chat stream, ${BURST} chunks 1 ms apart, 10 at a time`,
    concurrency: 10,
    chunks: BURST,
    direct: true,
    peers: true,
    request: chat(`bench-paced-${BURST}`, true, BURST),
    rows: pacedRows,
  }),
  clientScenario({
    name: "chat-paced64-512",
    title: `Chat stream, 512 concurrent streams of ${BURST} chunks 1 ms apart, every frame checked`,
    concurrency: 512,
    total: 512,
    chunks: BURST,
    peers: true,
    request: chat(`bench-paced-${BURST}`, true, BURST),
    rows: manyStreams(512),
  }),
  clientScenario({
    name: "chat-paced64-1000",
    title: `Chat stream, 1,000 concurrent streams of ${BURST} chunks 1 ms apart, every frame checked`,
    concurrency: 1000,
    total: 1000,
    chunks: BURST,
    peers: true,
    request: chat(`bench-paced-${BURST}`, true, BURST),
    rows: manyStreams(1000, [{ label: "RSS peak (MiB)", figure: "rssPeakMiB", digits: 0 }]),
  }),
  loadScenario({
    name: "responses-json-50",
    title: "Responses non-stream over a Chat upstream, 50 connections (reference hops: Chat)",
    connections: 50,
    optional: true,
    allocation: true,
    request: responses("bench-json", false, JSON_CHUNKS),
    rows: [jsonThroughput, jsonCpu, ...latency, jsonAllocated],
  }),
  loadScenario({
    name: "responses-json-50-stored",
    title:
      "Responses non-stream over a Chat upstream, stored (the API's default), 50 connections: the response, its items' index and its session written per request",
    connections: 50,
    optional: true,
    allocation: true,
    request: responses("bench-json", false, JSON_CHUNKS, "bench-json", true),
    rows: [jsonThroughput, jsonCpu, ...latency, jsonAllocated],
  }),
  loadScenario({
    name: "responses-burst64-50",
    title: `Responses stream over a Chat upstream, ${BURST} chunks in one burst, 50 connections`,
    connections: 50,
    optional: true,
    request: responses(`bench-burst-${BURST}`, true, BURST),
    rows: burstRows,
  }),
  clientScenario({
    name: "responses-paced64-10",
    title: `Responses stream over a Chat upstream, ${BURST} chunks 1 ms apart, 10 at a time (reference hops: Chat)`,
    concurrency: 10,
    chunks: BURST,
    direct: true,
    optional: true,
    request: responses(`bench-paced-${BURST}`, true, BURST),
    rows: pacedRows,
  }),
  // The configured proxy: the same streams through a second hermes started with MODELS_HOOKS. Kept
  // together at the end, so that it runs (and sits idle on the server core) only while they run.
  loadScenario({
    name: "chat-json-50-models-hooks",
    title: `Chat non-stream, 50 connections, ${modelsHooksTitle}`,
    connections: 50,
    hermesConfig: MODELS_HOOKS,
    request: chat("bench-json", false, JSON_CHUNKS, routedName("bench-json")),
    rows: [jsonThroughput, jsonCpu, ...latency],
  }),
  loadScenario({
    name: "responses-json-50-models-hooks",
    title: `Responses non-stream over a Chat upstream, 50 connections, ${modelsHooksTitle}`,
    connections: 50,
    optional: true,
    hermesConfig: MODELS_HOOKS,
    request: responses("bench-json", false, JSON_CHUNKS, routedName("bench-json")),
    rows: [jsonThroughput, jsonCpu, ...latency],
  }),
  loadScenario({
    name: "chat-burst64-50-models-hooks",
    title: `Chat stream, ${BURST} chunks in one burst, 50 connections, ${modelsHooksTitle}`,
    connections: 50,
    hermesConfig: MODELS_HOOKS,
    request: chat(`bench-burst-${BURST}`, true, BURST, routedName(`bench-burst-${BURST}`)),
    rows: burstRows,
  }),
  clientScenario({
    name: "chat-paced64-10-models-hooks",
    title: `Chat stream, ${BURST} chunks 1 ms apart, 10 at a time, ${modelsHooksTitle}`,
    concurrency: 10,
    chunks: BURST,
    direct: true,
    hermesConfig: MODELS_HOOKS,
    request: chat(`bench-paced-${BURST}`, true, BURST, routedName(`bench-paced-${BURST}`)),
    rows: pacedRows,
  }),
  loadScenario({
    name: "responses-burst64-50-models-hooks",
    title: `Responses stream over a Chat upstream, ${BURST} chunks in one burst, 50 connections, ${modelsHooksTitle}`,
    connections: 50,
    optional: true,
    hermesConfig: MODELS_HOOKS,
    request: responses(`bench-burst-${BURST}`, true, BURST, routedName(`bench-burst-${BURST}`)),
    rows: burstRows,
  }),
  clientScenario({
    name: "responses-paced64-10-models-hooks",
    title: `Responses stream over a Chat upstream, ${BURST} chunks 1 ms apart, 10 at a time, ${modelsHooksTitle}`,
    concurrency: 10,
    chunks: BURST,
    direct: true,
    optional: true,
    hermesConfig: MODELS_HOOKS,
    request: responses(`bench-paced-${BURST}`, true, BURST, routedName(`bench-paced-${BURST}`)),
    rows: pacedRows,
  }),
];
