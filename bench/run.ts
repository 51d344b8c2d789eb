/**
 * `npm run bench`: the fake upstream, the pipe proxy (the in-run reference) and hermes, each in its
 * own process; hermes and the pipe proxy on one core, the upstream, the load generator and this
 * process on the other (when taskset exists). Every scenario in `scenarios.ts` runs against both,
 * their order alternating between repetitions; the table shows each figure beside the pipe proxy's,
 * and the JSON lands in bench-results/.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findLoadGenerator, runLoad } from "./load.ts";
import { acquireBenchLock } from "./lock.ts";
import { waitForQuiet } from "./quiet.ts";
import { soak } from "./soak.ts";
import { machineInfo } from "./machine.ts";
import { type BenchOptions, parseOptions, storageLabel } from "./options.ts";
import { installPortkey, portkeyHeaders, startPortkey } from "./peers/portkey.ts";
import { busyPercent, cpuTimes, rssMiB } from "./proc.ts";
import { type HeapProfile, summarizeAllocation } from "./allocation-sites.ts";
import { summarizePerf } from "./perf-summary.ts";
import { summarize } from "./profile-summary.ts";
import { allocationProbe, freePort, hasTaskset, killAll, pinSelf, type Server, startServer } from "./processes.ts";
import { type Column, markdownTable, tableLines, textTable, variantTable } from "./report.ts";
import type { RunResult, ScenarioResult } from "./results.ts";
import type { BenchContext, Scenario, Target } from "./scenario.ts";
import { scenarios as allScenarios } from "./scenarios.ts";

const scenarioNamed = (name: string) => allScenarios.find((scenario) => scenario.name === name)!;
/** Chat non-stream at 50 connections: what the soak serves, whatever `--only` chose. */
const chatJson = scenarioNamed("chat-json-50");
/**
 * What primes a fresh server, whatever `--only` chose: each shape of request the scenarios send, so that
 * V8 has compiled every path before one is measured (the paced streams share the burst's path).
 */
const primeLoads = ["chat-json-50", "chat-burst64-50", "responses-json-50", "responses-burst64-50"].map(scenarioNamed);

const root = fileURLToPath(new URL("..", import.meta.url));
const resultsDir = join(root, "bench-results");
const jitiArgs = ["--import", "jiti/register"];
let releaseLock = () => {};

async function main(options: BenchOptions): Promise<number> {
  const scenarios = options.only.length > 0 ? allScenarios.filter((s) => options.only.includes(s.name)) : allScenarios;
  if (scenarios.length === 0) throw new Error(`no scenario named ${options.only.join(", ")}; see bench/scenarios.ts`);
  const twoCores = hasTaskset && availableParallelism() >= 2;
  const serverCore = twoCores ? 0 : undefined;
  const loadCore = twoCores ? 1 : undefined;
  if (loadCore !== undefined) pinSelf(loadCore);
  const generator = findLoadGenerator();
  const pinning = twoCores ? "servers on CPU 0; upstream, load generator and clients on CPU 1" : "none (needs taskset and 2 CPUs)";
  const machine = machineInfo(generator.version, pinning);
  const storages = [options.storage, ...options.moreStorages];
  console.log(`${machine.cpu}, ${machine.cpus} CPUs, Node ${machine.node}, ${generator.version}; pinning: ${pinning}; hermes storage: ${storages.join(", ")}`);
  const before = cpuTimes();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const busyBefore = busyPercent(before, cpuTimes());
  if (busyBefore.some((percent) => percent > 15))
    console.log(`warning: the machine is busy before the bench starts (${busyBefore.map((p, i) => `CPU ${i} ${p} %`).join(", ")}): figures will be noisy`);

  mkdirSync(join(resultsDir, "logs"), { recursive: true });
  releaseLock = await acquireBenchLock(join(resultsDir, ".bench.lock"), console.log);
  // The smoke run checks answers, not speed: dist/ brought up to date (incrementally, as `npm start`
  // does) spares it the clean compile; done here, so that hermes's start is not timed with a build in it.
  const entry = options.hermes ?? (options.smoke ? ensureBuilt() : options.build ? buildHermes() : join(root, "dist/src/cli.js"));
  const portkey = options.peers ? installPortkey(process.env.BENCH_PEERS_DIR ?? join(root, "node_modules/.cache/hermes-bench-peers/portkey")) : undefined;
  // Every hermes process by label: the build under test on each storage, and each --variant on the first.
  const instances: Record<string, HermesInstance> = { hermes: { cli: entry, storage: options.storage } };
  for (const [label, cli] of Object.entries(options.variants)) instances[label] = { cli, storage: options.storage };
  for (const storage of options.moreStorages) instances[`hermes-${storageLabel(storage)}`] = { cli: entry, storage };
  const columns: Column[] = [
    ...(portkey
      ? [
          { header: "portkey", target: "portkey" },
          { header: "×portkey", target: "portkey", ratio: true },
        ]
      : []),
    ...options.moreStorages.map((storage) => ({ header: `hermes ${storageLabel(storage)}`, target: `hermes-${storageLabel(storage)}` })),
  ];
  const context: BenchContext = {
    generator: generator.name,
    loadCore,
    seconds: options.seconds,
    warmupSeconds: options.warmupSeconds,
    smoke: options.smoke,
    quietSeconds: options.quietSeconds,
    storage: options.storage,
  };

  const upstream = await startServer({
    name: "upstream",
    argv: [process.execPath, ...jitiArgs, join(root, "bench/fake-upstream.ts")],
    core: loadCore,
    cwd: root,
  });
  const direct: Target = { name: "direct", label: "direct", url: upstream.url, pid: undefined };
  const runs: RunResult[] = [];
  const failures: string[] = [];
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");

  const variants = Object.keys(options.variants);
  for (let index = 1; index <= options.runs; index++) {
    const first = ["pipe", ...Object.keys(instances), ...(portkey ? ["portkey"] : [])];
    // Alternate who goes first, so that a machine that heats up or gets busier favours neither.
    const order = index % 2 === 1 ? first : first.reverse();
    console.log(`\nrun ${index} of ${options.runs} (${order.join(", then ")})`);
    /** Where this run's profiles go (`--profile`, `--alloc-sites`, `--perf`). */
    const runProfiles = join(resultsDir, "profiles", `${stamp}-run${index}`);
    const profileDir = options.profile ? runProfiles : undefined;
    if (options.allocSites) {
      context.allocationSites = {
        scenarios: scenarios.filter((scenario) => scenario.allocation || options.only.includes(scenario.name)).map((scenario) => scenario.name),
        file: (scenario, label) => join(runProfiles, label, `${scenario}.heapprofile`),
      };
    }
    if (options.perf) {
      context.perf = {
        scenarios: scenarios.map((scenario) => scenario.name),
        file: (scenario, label) => {
          mkdirSync(join(runProfiles, label), { recursive: true });
          return join(runProfiles, label, `${scenario}.perf.data`);
        },
      };
    }
    // JIT frames named in perf's samples (node writes /tmp/perf-<pid>.map); the flag also starts V8's
    // log, which would otherwise leave an isolate-*.log in the working directory.
    const perfFlags = options.perf ? ["--perf-basic-prof", "--logfile=/dev/null"] : [];
    const nodeFlags = [...options.nodeFlags, ...perfFlags];
    const storage = (kind: string, label: string) => storageSpec(kind, `${stamp}-run${index}`)(label);
    const start = (config?: string) => startHermes({ instances, upstream, core: serverCore, profileDir, nodeFlags, storage, config });
    const servers: Record<string, Server> = { pipe: await startPipe(upstream, serverCore, perfFlags), ...(await start()) };
    if (portkey) servers.portkey = await startPortkey({ entry: portkey, core: serverCore, logFile: join(resultsDir, "logs", "portkey.log") });
    const targets: Record<string, Target> = { direct, ...targetsOf(servers, upstream) };
    // Idle: started, nothing served yet; a moment first for start-up garbage to settle.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const rss = () => Object.fromEntries(Object.entries(servers).map(([label, server]) => [label, rssMiB(server.pid)]));
    const run: RunResult = { index, order, idleRssMiB: rss(), afterRssMiB: {}, scenarios: {} };
    await prime(context, targets, order, options.primeSeconds);
    // A second hermes (and variants) for the scenarios with a config file, started when the first of
    // them comes and stopped when the config changes or the run ends; the pipe proxy stays the same.
    let configured: { file: string; servers: Record<string, Server> } | undefined;
    for (const scenario of scenarios) {
      if (configured && configured.file !== scenario.hermesConfig) {
        await Promise.all(Object.values(configured.servers).map((server) => server.stop()));
        configured = undefined;
      }
      if (scenario.hermesConfig !== undefined && !configured) {
        console.log(`  (hermes with bench/${scenario.hermesConfig})`);
        configured = { file: scenario.hermesConfig, servers: await start(scenario.hermesConfig) };
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        await prime(context, targetsOf(configured.servers, upstream), Object.keys(configured.servers), options.primeSeconds);
      }
      const scenarioTargets = configured ? { ...targets, ...targetsOf(configured.servers, upstream) } : targets;
      const result = await runScenario(scenario, context, scenarioTargets, order, failures);
      if (scenario.hermesConfig !== undefined) result.hermesConfig = scenario.hermesConfig;
      run.scenarios[scenario.name] = result;
    }
    if (configured) await Promise.all(Object.values(configured.servers).map((server) => server.stop()));
    run.afterRssMiB = rss();
    if (options.soak > 0) {
      run.soak = {};
      const request = chatJson.request("hermes");
      for (const label of order.filter((name) => name !== "pipe" && name !== "portkey")) {
        const target = targets[label]!;
        const result = await soak(context, target, target.url + request.path, request.body, options.soak);
        run.soak[label] = result;
        const { liveHeapMiB: live } = result;
        const heap = live ? `, live heap ${live.start.toFixed(0)} → ${live.end.toFixed(0)} MiB` : "";
        console.log(`  soak ${label}: ${result.requests} requests, RSS ${result.rssStartMiB.toFixed(0)} → ${result.rssEndMiB.toFixed(0)} MiB${heap}`);
      }
    }
    await Promise.all(Object.values(servers).map((server) => server.stop()));
    rmSync(join(resultsDir, "storage"), { recursive: true, force: true });
    if (profileDir) printProfiles(profileDir);
    if (options.allocSites) printAllocationSites(run);
    if (options.perf) printPerf(run);
    runs.push(run);
  }
  await upstream.stop();

  const lines = tableLines(scenarios, runs, columns);
  console.log(`\n${textTable(lines, runs.length, columns)}`);
  if (variants.length > 0) console.log(`\n${variantTable(scenarios, runs, variants)}`);
  const file = join(resultsDir, `bench-${stamp}.json`);
  const markdown = markdownTable(lines, runs.length, columns);
  const report = { date: new Date().toISOString(), machine: { ...machine, busyBeforePct: busyBefore }, options, hermes: entry, runs, table: markdown };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(resultsDir, "latest.json"), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(resultsDir, "latest.md"), `${markdown}\n`);
  console.log(`\nwritten: ${file} (and latest.json, latest.md)`);
  if (options.profile) console.log("note: hermes ran under --cpu-prof; its figures carry the profiler's cost");
  if (options.perf) console.log("note: hermes and the pipe proxy ran under perf in the measured loads; their figures carry its cost");
  if (options.allocSites)
    console.log("note: hermes ran under the sampling heap profiler in the scenarios with allocation sites; its figures there carry its cost");

  if (failures.length > 0) {
    console.error(`\nFAILED: ${failures.length} check(s)\n  ${failures.join("\n  ")}`);
    return 1;
  }
  console.log(options.smoke ? "\nsmoke: every answer was right" : "\nevery answer was right");
  return 0;
}

/** `bin/ensure-built.mjs`: dist/ as fresh as the sources; returns the CLI as `npm start` runs it. */
function ensureBuilt(): string {
  execFileSync(process.execPath, [join(root, "bin/ensure-built.mjs")], { stdio: ["ignore", "inherit", "inherit"], cwd: root });
  return join(root, "bin/hermes-proxy.mjs");
}

/** Compiles the working tree into bench-results/build, leaving dist/ (which others may be using) alone. */
function buildHermes(): string {
  const outDir = join(resultsDir, "build");
  rmSync(outDir, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  process.stdout.write("compiling hermes into bench-results/build … ");
  try {
    execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json"), "--outDir", outDir], { stdio: "pipe", cwd: root });
    console.log("done");
  } catch (error) {
    // tsc still emits on type errors; a half-edited tree can be measured, but say so.
    console.log(`tsc reported errors; measuring the emitted JavaScript anyway:\n${String((error as { stdout?: Buffer }).stdout ?? "").slice(0, 2000)}`);
  }
  return join(outDir, "src/cli.js");
}

/** Each hermes process's `HERMES_STORAGE`: its own fresh files or key prefix, so runs never read each other's state. */
function storageSpec(storage: string, run: string): (label: string) => string {
  if (storage === "memory") return () => "memory";
  if (storage === "fs") return (label) => `fs:${join(resultsDir, "storage", `${run}-${label}`)}`;
  if (storage === "sqlite") return (label) => `sqlite:${join(resultsDir, "storage", `${run}-${label}.db`)}`;
  const url = new URL(storage);
  return (label) => {
    url.searchParams.set("prefix", `bench-${run}-${label}`);
    return url.toString();
  };
}

function targetsOf(servers: Record<string, Server>, upstream: Server): Record<string, Target> {
  return Object.fromEntries(
    Object.entries(servers).map(([label, server]) => {
      const name = label === "pipe" || label === "portkey" ? label : "hermes";
      const target: Target = {
        name,
        label,
        url: server.url,
        pid: server.pid,
        allocation: server.allocation?.bind(server),
        liveHeapBytes: server.liveHeapBytes?.bind(server),
      };
      if (name === "portkey") target.headers = portkeyHeaders(upstream.url);
      return [label, target];
    }),
  );
}

async function startPipe(upstream: Server, core: number | undefined, nodeFlags: string[]): Promise<Server> {
  return startServer({
    name: "pipe",
    argv: [process.execPath, ...nodeFlags, ...jitiArgs, ...allocationProbe, join(root, "bench/pipe-proxy.ts")],
    core,
    cwd: root,
    ipc: true,
    env: { ...process.env, BENCH_UPSTREAM: upstream.url },
  });
}

interface HermesInstance {
  /** The compiled CLI (or bin/hermes-proxy.mjs). */
  cli: string;
  /** `--storage`'s value for it. */
  storage: string;
}

interface HermesStart {
  instances: Record<string, HermesInstance>;
  upstream: Server;
  core: number | undefined;
  profileDir: string | undefined;
  nodeFlags: string[];
  /** `HERMES_STORAGE` for a storage kind and a process label. */
  storage: (kind: string, label: string) => string;
  /** A config file under bench/ (`--config`); none: no config file at all. */
  config?: string | undefined;
}

/** Every hermes instance, by label; with `config`, their logs, profiles and storage are kept apart from the bare ones'. */
async function startHermes(options: HermesStart): Promise<Record<string, Server>> {
  const servers: Record<string, Server> = {};
  const suffix = options.config === undefined ? "" : `.${options.config.replace(/\.config\.[cm]?[jt]s$/, "")}`;
  const config = options.config === undefined ? [] : ["--config", join(root, "bench", options.config)];
  for (const [label, { cli, storage }] of Object.entries(options.instances)) {
    const port = await freePort();
    const profile = options.profileDir ? ["--cpu-prof", "--cpu-prof-dir", join(options.profileDir, label + suffix)] : [];
    servers[label] = await startServer({
      name: label + suffix,
      argv: [process.execPath, ...options.nodeFlags, ...profile, ...allocationProbe, cli, "--port", String(port), "--host", "127.0.0.1", ...config],
      core: options.core,
      port,
      readyPath: "/health",
      stdoutFile: join(resultsDir, "logs", `${label}${suffix}.log`),
      ipc: true,
      // No config file is found here (one is given only by --config), and only what the bench sets reaches the process.
      cwd: resultsDir,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        HERMES_UPSTREAM_URL: `${options.upstream.url}/v1`,
        HERMES_STORAGE: options.storage(storage, label + suffix),
      },
    });
  }
  return servers;
}

async function runScenario(
  scenario: Scenario,
  context: BenchContext,
  targets: Record<string, Target>,
  order: string[],
  failures: string[],
): Promise<ScenarioResult> {
  const result: ScenarioResult = { title: scenario.title, targets: {} };
  // One checked request per hop first: wrk counts statuses, not wrong answers.
  const probe = scenario.request("hermes");
  const answer = await fetch(targets.hermes!.url + probe.path, { method: "POST", body: probe.body, headers: { "content-type": "application/json" } });
  const text = await answer.text();
  if (answer.status === 404 && scenario.optional) {
    console.log(`  ${scenario.name}: skipped (hermes answers 404 on ${probe.path})`);
    return { ...result, skipped: `hermes has no ${probe.path} yet (404)` };
  }
  for (const label of [...(scenario.direct ? ["direct"] : []), ...order]) {
    const target = targets[label]!;
    if (target.name === "portkey" && !scenario.peers) continue;
    const request = scenario.request(target.name);
    const reason = label === "hermes" ? answerProblem(answer.status, text, request.check) : await checkOnce(target, request);
    if (reason) {
      failures.push(`${scenario.name} via ${label}: ${reason}`);
      console.log(`  ${scenario.name} via ${label}: WRONG ANSWER ${reason}`);
      continue;
    }
    if (context.quietSeconds > 0) {
      const waited = await waitForQuiet(context.quietSeconds);
      if (waited !== 0)
        console.log(waited < 0 ? `  (the machine stayed busy for ${context.quietSeconds} s; measuring anyway)` : `  (waited ${waited} s for a quiet machine)`);
    }
    const measurement = await scenario.measure(context, target, request);
    result.targets[label] = measurement;
    for (const failure of measurement.failures) failures.push(`${scenario.name} via ${label}: ${failure}`);
    const failed = measurement.failures.length ? `  FAILED: ${measurement.failures.join("; ")}` : "";
    console.log(`  ${scenario.name.padEnd(24)} ${label.padEnd(6)} ${brief(measurement.figures)}${failed}`);
  }
  return result;
}

async function checkOnce(target: Target, request: { path: string; body: string; check: (text: string) => string | undefined }): Promise<string | undefined> {
  const response = await fetch(target.url + request.path, {
    method: "POST",
    body: request.body,
    headers: { ...target.headers, "content-type": "application/json" },
  });
  return answerProblem(response.status, await response.text(), request.check);
}

function answerProblem(status: number, text: string, check: (text: string) => string | undefined): string | undefined {
  return status === 200 ? check(text) : `HTTP ${status}: ${text.slice(0, 300)}`;
}

function brief(figures: Record<string, number>): string {
  const show = [
    "rps",
    "p50Ms",
    "p99Ms",
    "ttfbP50Ms",
    "ttfbP99Ms",
    "cpuMsPerRequest",
    "cpuUsPerChunk",
    "allocKiBPerRequest",
    "completed",
    "rssPeakMiB",
    "core1BusyPct",
    "core0ForeignPct",
  ];
  return show
    .filter((key) => figures[key] !== undefined)
    .map((key) => `${key}=${Number(figures[key]!.toFixed(key === "cpuMsPerRequest" ? 3 : 2))}`)
    .join(" ");
}

function printProfiles(dir: string): void {
  for (const label of readdirSync(dir)) {
    for (const file of readdirSync(join(dir, label)).filter((name) => name.endsWith(".cpuprofile"))) {
      const path = join(dir, label, file);
      console.log(`\nprofile of ${label}: ${path}\n${summarize(JSON.parse(readFileSync(path, "utf8")), 20)}`);
    }
  }
}

/** `--alloc-sites`: each heap profile of the run, summarised per request of its scenario. */
function printAllocationSites(run: RunResult): void {
  for (const [scenario, result] of Object.entries(run.scenarios)) {
    for (const [label, measurement] of Object.entries(result.targets)) {
      const sites = measurement?.allocationSites;
      if (!sites) continue;
      if ("error" in sites) {
        console.log(`\nallocation sites of ${label} in ${scenario}: no profile (${sites.error})`);
        continue;
      }
      const requests = measurement.figures.requests ?? measurement.figures.completed ?? 0;
      const profile = JSON.parse(readFileSync(sites.file, "utf8")) as HeapProfile;
      console.log(
        `\nallocation sites of ${label} in ${scenario}: ${sites.file}\n${summarizeAllocation(profile, requests, 20, measurement.figures.allocKiBPerRequest)}`,
      );
    }
  }
}

/** `--perf`: each sampled load's summary, from `perf script` of its `perf.data`. */
function printPerf(run: RunResult): void {
  for (const [scenario, result] of Object.entries(run.scenarios)) {
    for (const [label, measurement] of Object.entries(result.targets)) {
      const sampled = measurement?.perf;
      if (!sampled) continue;
      let text: string;
      try {
        text = execFileSync("perf", ["script", "-i", sampled.file], { encoding: "utf8", maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "ignore"] });
      } catch (error) {
        console.log(`\nperf of ${label} in ${scenario}: no samples (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`);
        continue;
      }
      console.log(`\nperf of ${label} in ${scenario}, per ${sampled.unit}: ${sampled.file}\n${summarizePerf(text, sampled.units, { top: 20 })}`);
    }
  }
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    killAll();
    releaseLock();
    process.exit(signal === "SIGINT" ? 130 : 143);
  });
}
/**
 * Load on every freshly started server, one after the other, before its first scenario: `seconds` of
 * each shape in `primeLoads`. A process's first seconds of load on a path run slower while V8 compiles
 * it: measured by hand on 2026-12-04 (5-second windows of paced streams after Chat non-stream load),
 * hermes's CPU per stream read 298, 264, then 221-233 ticks, and `--trace-opt` counted 280, 116, 84,
 * then 30-42 functions optimised per window; Chat non-stream, 692, 280, 34, 6. On 2026-12-03 a Chat-only
 * prime already showed it for Chat: the first 5-second load read 0.536 ms per request, the next ones
 * 0.40-0.48. Without it, the first scenario of each shape carries its path's compilation.
 */
async function prime(context: BenchContext, targets: Record<string, Target>, labels: readonly string[], seconds: number): Promise<void> {
  if (seconds <= 0) return;
  for (const label of labels) {
    const target = targets[label];
    if (!target) continue;
    for (const scenario of primeLoads) {
      const request = scenario.request(target.name);
      await runLoad(context.generator, {
        url: target.url + request.path,
        body: request.body,
        connections: 50,
        seconds,
        core: context.loadCore,
        headers: target.headers,
      });
    }
  }
}

main(parseOptions(process.argv.slice(2))).then(
  (code) => {
    killAll();
    releaseLock();
    process.exit(code);
  },
  (error: unknown) => {
    killAll();
    releaseLock();
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
