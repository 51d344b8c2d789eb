/**
 * Micro-bench of the streamed path inside the process: a Chat upstream stream of 64 chunks (the bench's
 * fake upstream, in a child process) through the upstream decoder, the agent loop and a consumer that
 * reads every event, as the routes do. Per configuration: promises created per chunk (async_hooks,
 * one run) and CPU µs per chunk (process CPU time over many runs, hooks off).
 *
 *   node --import jiti/register bench/stream-layers.ts [runs]
 *
 * Configurations: the bare Chat upstream; with a `models` table (the router); with a plugin's
 * `onEvent` hook; with the router, the hook and an upstream observer (as the CLI's request log has).
 * Streams: `burst` (all frames in one write) and `paced` (one frame per ms, one network read each).
 */
import { createHook } from "node:async_hooks";
import { runAgent } from "../src/agent/loop.ts";
import { hermesConfigSchema } from "../src/config/schema.ts";
import { createRegistry, emptyRegistry, type PluginRegistry } from "../src/plugins/registry.ts";
import type { HermesPlugin } from "../src/plugin-api/index.ts";
import type { RunInput } from "../src/protocol/index.ts";
import { createUpstreamFromConfig } from "../src/upstream/create.ts";
import type { Upstream } from "../src/upstream/types.ts";
import { startFakeUpstream } from "./upstream-child.ts";

const CHUNKS = 64;
const runs = Number(process.argv[2] ?? 300);

interface Setup {
  name: string;
  upstream: Upstream;
  registry: PluginRegistry;
}

function setups(url: string): Setup[] {
  const single = hermesConfigSchema.parse({ upstream: { baseURL: url, maxRetries: 0 } });
  const routed = hermesConfigSchema.parse({
    upstream: { baseURL: url, maxRetries: 0 },
    models: { "bench-burst-64": { upstream: "default", model: "bench-burst-64" }, "bench-paced-64": { upstream: "default", model: "bench-paced-64" } },
  });
  let seen = 0;
  const plugin: HermesPlugin = { kind: "plugin", name: "watch", tools: [], hooks: { onEvent: () => void seen++ } };
  const hooked = createRegistry([plugin], () => ({ storage: undefined as never, logger: console as never }));
  const observers = { onUpstreamStart: () => {}, onUpstreamEnd: () => {} };
  return [
    { name: "chat", upstream: createUpstreamFromConfig(single), registry: emptyRegistry },
    { name: "chat + models table", upstream: createUpstreamFromConfig(routed), registry: emptyRegistry },
    { name: "chat + onEvent hook", upstream: createUpstreamFromConfig(single), registry: hooked },
    { name: "models + hook + observer", upstream: createUpstreamFromConfig(routed, { observers }), registry: { ...hooked, observers } },
  ];
}

async function once(setup: Setup, model: string): Promise<number> {
  let events = 0;
  const input: RunInput = { model, items: [{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }], tools: [] };
  const options = {
    upstream: setup.upstream,
    runId: "run_1",
    model,
    createdAt: 0,
    signal: new AbortController().signal,
    maxIterations: 1,
    registry: setup.registry,
  };
  for await (const batch of runAgent(input, options)) for (const event of batch) events += event.type === "text.delta" ? 1 : 0;
  if (events !== CHUNKS) throw new Error(`expected ${CHUNKS} deltas, got ${events}`);
  return events;
}

async function promisesPerChunk(setup: Setup, model: string): Promise<number> {
  let count = 0;
  const hook = createHook({ init: (_id, type) => void (type === "PROMISE" && count++) });
  hook.enable();
  await once(setup, model);
  hook.disable();
  return count / CHUNKS;
}

async function cpuPerChunk(setup: Setup, model: string, n: number): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) await once(setup, model);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / (n * CHUNKS);
}

const upstream = await startFakeUpstream();
try {
  const all = setups(upstream.url);
  const rows: string[] = [];
  for (const stream of ["burst", "paced"] as const) {
    const model = `bench-${stream}-64`;
    const n = stream === "burst" ? runs : Math.max(20, Math.round(runs / 10));
    const promises = all.map(() => [] as number[]);
    const cpu = all.map(() => [] as number[]);
    for (const setup of all) for (let i = 0; i < 50; i++) await once(setup, model); // warm up
    // Rounds interleave the configurations, so that a machine that gets busier favours none.
    for (let round = 0; round < 7; round++) {
      for (const [index, setup] of all.entries()) {
        promises[index]!.push(await promisesPerChunk(setup, model));
        cpu[index]!.push(await cpuPerChunk(setup, model, n));
      }
    }
    for (const [index, setup] of all.entries()) {
      const p = promises[index]!.sort((a, b) => a - b);
      const c = cpu[index]!.sort((a, b) => a - b);
      rows.push(`| ${stream} | ${setup.name} | ${p[3]!.toFixed(2)} | ${c[3]!.toFixed(2)} (${c[0]!.toFixed(2)}–${c[6]!.toFixed(2)}) |`);
    }
  }
  console.log("| stream | configuration | promises per chunk | CPU µs per chunk, median of 7 (min–max) |\n|---|---|---:|---:|");
  console.log(rows.join("\n"));
  await Promise.all(all.map((setup) => setup.upstream.close()));
} finally {
  upstream.stop();
}
