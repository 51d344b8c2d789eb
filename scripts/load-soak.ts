/**
 * Load and soak check of the proxy (issue 7, item 5), not part of the test run:
 *
 *   npx jiti scripts/load-soak.ts                       # 500 concurrent streams, then 100,000 sequential requests
 *   LOAD_CONCURRENT=200 LOAD_SEQUENTIAL=20000 npx jiti scripts/load-soak.ts
 *
 * The proxy runs in a child process of its own (scripts/load/proxy-child.ts, with `--expose-gc`), so
 * that the memory measured is the proxy's alone; the fake upstream and the client run here.
 *
 * 1. Burst: LOAD_CONCURRENT streaming requests at once (Chat and Responses, half each), every one
 *    paced by the upstream so that they are all open together; each must arrive whole and in order
 *    (its own echoed text, a finish, `[DONE]` / `response.completed`). The proxy's heap after a full
 *    GC must come back to within 10 % of its baseline (taken after a warm-up burst).
 * 2. Soak: LOAD_SEQUENTIAL requests one after another (Chat, one in ten streamed), with the heap
 *    sampled after a full GC at every tenth; the last sample must be within 10 % of the first.
 *
 * Prints the figures as a table and exits 1 when a check fails.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Agent, request } from "undici";
import { startFakeUpstream } from "../test/helpers/fake-upstream.ts";
import { parseSse } from "../test/helpers/sse.ts";

const concurrent = Number(process.env.LOAD_CONCURRENT ?? 500);
const sequential = Number(process.env.LOAD_SEQUENTIAL ?? 100_000);
const tolerance = 0.1;

type Memory = { heapUsed: number; rss: number; external: number; arrayBuffers: number };
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

const upstream = await startFakeUpstream();
// Paced replies for the burst (20 words, 15 ms apart: every stream stays open ~300 ms); instant ones for the soak.
let paced = true;
upstream.script(() => (paced ? { delayMs: 15 } : {}));

const child = fork(fileURLToPath(new URL("./load/proxy-child.ts", import.meta.url)), [], {
  execArgv: ["--expose-gc", "--import", "jiti/register"],
  env: { ...process.env, LOAD_UPSTREAM_URL: upstream.url },
  stdio: ["ignore", "inherit", "inherit", "ipc"],
});
const nextMessage = <T>(type: string) =>
  new Promise<T>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`the proxy exited (${code})`));
    const onMessage = (message: { type: string } & T) => {
      if (message.type !== type) return;
      child.off("message", onMessage);
      child.off("exit", onExit);
      resolve(message);
    };
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
const { port } = await nextMessage<{ port: number }>("ready");
const origin = `http://127.0.0.1:${port}`;
const memory = async (): Promise<Memory & { resources: number }> => {
  const reply = nextMessage<{ usage: Memory; resources: number }>("memory");
  child.send({ type: "memory" });
  const { usage, resources } = await reply;
  return { ...usage, resources };
};

const dispatcher = new Agent({ connections: concurrent + 10, keepAliveTimeout: 60_000, pipelining: 1 });
const failures: string[] = [];

/** One request; checks that the answer is whole: the text sent, echoed back in order, and a proper end. */
async function exchange(index: number, format: "chat" | "responses", stream: boolean): Promise<void> {
  const text = Array.from({ length: 20 }, (_, word) => `r${index}w${word}`).join(" ");
  const body = format === "chat" ? { model: "m", stream, messages: [{ role: "user", content: text }] } : { model: "m", stream, input: text, store: false };
  const response = await request(`${origin}/v1/${format === "chat" ? "chat/completions" : "responses"}`, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
    dispatcher,
  });
  const raw = await response.body.text();
  const fail = (why: string) => failures.push(`#${index} ${format}${stream ? " stream" : ""}: ${why}`);
  if (response.statusCode !== 200) return void fail(`HTTP ${response.statusCode} ${raw.slice(0, 200)}`);
  if (!stream) {
    const json = JSON.parse(raw);
    const answer = format === "chat" ? json.choices[0].message.content : (json.output_text ?? json.output?.[0]?.content?.[0]?.text);
    if (answer !== text) fail(`answer ${JSON.stringify(answer).slice(0, 80)}`);
    return;
  }
  const frames = parseSse(raw);
  let answer = "";
  if (format === "chat") {
    let finish: string | null = null;
    for (const frame of frames) {
      if (frame.data === "[DONE]") continue;
      const chunk = JSON.parse(frame.data);
      answer += chunk.choices?.[0]?.delta?.content ?? "";
      finish ??= chunk.choices?.[0]?.finish_reason ?? null;
    }
    if (frames.at(-1)?.data !== "[DONE]") fail("no [DONE]");
    if (finish !== "stop") fail(`finish_reason ${finish}`);
  } else {
    for (const frame of frames) {
      const event = JSON.parse(frame.data);
      if (event.type === "response.output_text.delta") answer += event.delta;
    }
    if (frames.at(-1)?.event !== "response.completed") fail(`last event ${frames.at(-1)?.event}`);
  }
  if (answer !== text) fail(`text ${JSON.stringify(answer).slice(0, 80)}…`);
}

async function burst(label: string): Promise<number> {
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrent }, (_, index) => exchange(index, index % 2 === 0 ? "chat" : "responses", true)));
  const ms = performance.now() - started;
  console.log(`${label}: ${concurrent} concurrent streams in ${ms.toFixed(0)} ms`);
  upstream.reset();
  upstream.script(() => (paced ? { delayMs: 15 } : {}));
  return ms;
}

const rows: string[] = [];
const within = (now: number, base: number) => now <= base * (1 + tolerance);

// 1. Burst.
await burst("warm-up");
const baseline = await memory();
const burstMs = await burst("burst");
const afterBurst = await memory();
const burstOk = within(afterBurst.heapUsed, baseline.heapUsed) && failures.length === 0;
rows.push(
  `| ${concurrent} concurrent streams | ${burstMs.toFixed(0)} ms | heap ${mib(baseline.heapUsed)} → ${mib(afterBurst.heapUsed)} ` +
    `(${(((afterBurst.heapUsed - baseline.heapUsed) / baseline.heapUsed) * 100).toFixed(1)} %) | rss ${mib(baseline.rss)} → ${mib(afterBurst.rss)} | ` +
    `${failures.length} incomplete | ${burstOk ? "ok" : "FAIL"} |`,
);

// 2. Soak.
paced = false;
const samples: { done: number; heapUsed: number; rss: number; resources: number }[] = [];
const every = Math.max(1, Math.floor(sequential / 10));
const soakStarted = performance.now();
for (let index = 0; index < sequential; index++) {
  await exchange(index, "chat", index % 10 === 0);
  if ((index + 1) % every === 0) {
    // The fake upstream records every request: forget them, it is not what is measured.
    upstream.reset();
    upstream.script(() => (paced ? { delayMs: 15 } : {}));
    const sample = await memory();
    samples.push({ done: index + 1, heapUsed: sample.heapUsed, rss: sample.rss, resources: sample.resources });
    console.log(`soak: ${index + 1} requests, heap ${mib(sample.heapUsed)}, rss ${mib(sample.rss)}, ${sample.resources} handles`);
  }
}
const soakMs = performance.now() - soakStarted;
const first = samples[0]!;
const last = samples.at(-1)!;
const soakOk = within(last.heapUsed, first.heapUsed) && failures.length === 0;
rows.push(
  `| ${sequential} sequential requests | ${(soakMs / 1000).toFixed(1)} s (${((soakMs * 1000) / sequential).toFixed(0)} µs each) | heap ${mib(first.heapUsed)} at ${first.done} → ` +
    `${mib(last.heapUsed)} at ${last.done} (${(((last.heapUsed - first.heapUsed) / first.heapUsed) * 100).toFixed(1)} %) | rss ${mib(first.rss)} → ${mib(last.rss)} | ` +
    `${failures.length} incomplete | ${soakOk ? "ok" : "FAIL"} |`,
);

console.log("\n| Load | Time | Proxy heap after full GC | Proxy RSS | Failures | Verdict |\n|---|---|---|---|---|---|");
for (const row of rows) console.log(row);
console.log(`\nheap samples (MiB): ${samples.map((sample) => (sample.heapUsed / 1024 / 1024).toFixed(1)).join(", ")}`);
for (const failure of failures.slice(0, 10)) console.log(`failure: ${failure}`);

child.send({ type: "close" });
await new Promise((resolve) => child.once("exit", resolve));
await dispatcher.close();
await upstream.close();
process.exitCode = burstOk && soakOk ? 0 : 1;
