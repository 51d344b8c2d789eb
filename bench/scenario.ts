import { spawn } from "node:child_process";
import { perfHz } from "./perf-summary.ts";
import type { Allocation } from "./processes.ts";
import { busyPercent, cpuMs, cpuTimes, sampleRss } from "./proc.ts";
import { type LoadGenerator, runLoad } from "./load.ts";
import { percentile, runClients } from "./stream-client.ts";

/**
 * What a scenario is, and the two kinds the list in `scenarios.ts` is built from: `loadScenario`
 * (a load generator at a fixed connection count: throughput, latency, CPU per request) and
 * `clientScenario` (the bench's own client: first byte, per-answer checks, CPU per chunk).
 */

/** `portkey`: a peer gateway (`--peers`), sent what the pipe proxy is, with its routing headers. */
export type TargetName = "hermes" | "pipe" | "direct" | "portkey";

export interface Target {
  /** Which request the target is sent: variants of hermes are sent what hermes is. */
  name: TargetName;
  /** What the results are filed under: the name, or a variant's label. */
  label: string;
  url: string;
  /** The server process whose CPU and memory are read; none for `direct` (that is the upstream). */
  pid: number | undefined;
  /** Headers every request to it carries (a peer's routing to the fake upstream). */
  headers?: Record<string, string> | undefined;
  /** Counts the bytes the server allocates while `work` runs, and with `sitesFile` samples where (see `processes.ts`); absent for `direct`. */
  allocation?: (<T>(work: () => Promise<T>, sitesFile?: string) => Promise<{ result: T; allocation: Allocation | undefined }>) | undefined;
  /** The server's used heap after a full GC; absent for `direct`. */
  liveHeapBytes?: (() => Promise<number | undefined>) | undefined;
}

export interface BenchContext {
  generator: LoadGenerator;
  /** Where load generators run; undefined without taskset. */
  loadCore: number | undefined;
  seconds: number;
  warmupSeconds: number;
  smoke: boolean;
  /** Seconds to wait for a quiet machine before each measurement. */
  quietSeconds: number;
  /** hermes's storage (`--storage`). */
  storage: string;
  /**
   * `--alloc-sites`: the scenarios in whose measured load every server's allocation is counted and
   * hermes's allocation sites are sampled, and where hermes's heap profile of each goes. Unset: off.
   */
  allocationSites?: { scenarios: readonly string[]; file(scenario: string, label: string): string } | undefined;
  /**
   * `--perf`: the scenarios in whose measured load hermes and the pipe proxy are sampled by Linux `perf`
   * (`perf-summary.ts`), and where each one's `perf.data` goes. Unset: off.
   */
  perf?: { scenarios: readonly string[]; file(scenario: string, label: string): string } | undefined;
}

/** One request as a target receives it: hermes may get another API than the reference hops. */
export interface BenchRequest {
  path: string;
  body: string;
  check: (text: string) => string | undefined;
}

export type Figures = Record<string, number>;

export interface Measurement {
  figures: Figures;
  /** Wrong answers, errors, non-2xx: any of these fails the bench. */
  failures: string[];
  /** `--alloc-sites`: the heap profile of the measured load, or why it is missing. */
  allocationSites?: { file: string } | { error: string };
  /** `--perf`: the perf samples of the measured load, and what a unit of its summary is (a request, a chunk). */
  perf?: { file: string; units: number; unit: string };
}

/** How a figure appears in the table: hermes beside the pipe proxy, and its goal (issue 18's bar). */
export interface Row {
  label: string;
  figure: string;
  digits?: number;
  /** `added`: shown as the figure minus the direct hop's (latency a hop adds). */
  added?: boolean;
  goal?: Goal;
}

export interface Goal {
  text: string;
  /**
   * What the bound applies to: hermes's figure (`added` rows: over the direct hop), hermes over the
   * pipe proxy, or hermes over its own figure in another scenario of the same run.
   */
  of: "value" | "ratio" | { scenario: string };
  max?: number;
  min?: number;
}

export interface Scenario {
  name: string;
  title: string;
  /** Targets measured besides hermes and the pipe proxy. */
  direct?: boolean;
  /** Peak RSS of this scenario counts as "peak at 50 connections". */
  memory?: boolean;
  /** Also measured through the peer gateways of `--peers` (Chat scenarios: the peers speak Chat only). */
  peers?: boolean;
  /**
   * Count the bytes each server allocates per request during the measured load (`allocKiBPerRequest`;
   * off elsewhere, so that no other figure carries the probe's cost).
   */
  allocation?: boolean;
  /** A route that may not exist yet: a 404 from hermes skips the scenario instead of failing it. */
  optional?: boolean;
  /**
   * A config file under `bench/` for hermes (and each `--variant`): such scenarios are measured against
   * a second hermes process started with `--config` (the pipe proxy is the same). Unset: the bare hermes,
   * no config file.
   */
  hermesConfig?: string;
  request(target: TargetName): BenchRequest;
  measure(context: BenchContext, target: Target, request: BenchRequest): Promise<Measurement>;
  rows: Row[];
}

/**
 * Reads a server's CPU and RSS around `work` (and with `allocation`, the bytes it allocated), plus how
 * busy each core was. With `--alloc-sites` for this scenario, allocation is counted on every server
 * and hermes's sites are sampled.
 */
async function observe<T>(context: BenchContext, scenario: string, target: Target, allocation: boolean | undefined, work: () => Promise<T>) {
  const sites = context.allocationSites?.scenarios.includes(scenario) ? context.allocationSites : undefined;
  const sitesFile = sites && target.name === "hermes" ? sites.file(scenario, target.label) : undefined;
  const pid = target.pid;
  const perfFile =
    context.perf?.scenarios.includes(scenario) && pid !== undefined && target.name !== "portkey" ? context.perf.file(scenario, target.label) : undefined;
  const sampling = perfFile === undefined ? undefined : await startPerf(pid!, perfFile);
  const rss = pid === undefined ? undefined : sampleRss(pid);
  const cpuBefore = pid === undefined ? 0 : (cpuMs(pid) ?? 0);
  const coresBefore = cpuTimes();
  const started = performance.now();
  const counted = (allocation || sites) && target.allocation ? await target.allocation(work, sitesFile) : { result: await work(), allocation: undefined };
  const result = counted.result;
  const elapsedMs = performance.now() - started;
  const used = pid === undefined ? 0 : (cpuMs(pid) ?? 0) - cpuBefore;
  await sampling?.stop();
  return {
    result,
    cpuMs: used,
    elapsedMs,
    rssPeakMiB: rss?.stop() ?? 0,
    busy: busyPercent(coresBefore, cpuTimes()),
    allocation: counted.allocation,
    perfFile,
  };
}

/** `perf record` of process `pid` (every thread, kernel included, with call graphs) until `stop`. */
async function startPerf(pid: number, file: string): Promise<{ stop(): Promise<void> }> {
  const child = spawn("perf", ["record", "-q", "-e", "cpu-clock", "-F", String(perfHz), "-g", "-p", String(pid), "-o", file], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()).once("error", () => resolve()));
  // perf attaches within a few ms; what it misses of the first moment is within the load's noise.
  await new Promise((resolve) => setTimeout(resolve, 200));
  return {
    async stop() {
      child.kill("SIGINT");
      await exited;
    },
  };
}

/** The `Measurement`'s `perf`, when the load was sampled. */
function perfOf(file: string | undefined, units: number, unit: string): Pick<Measurement, "perf"> {
  return file === undefined ? {} : { perf: { file, units, unit } };
}

/** Where the heap profile asked for went, for the `Measurement`. */
function sitesOf(allocation: Allocation | undefined): Pick<Measurement, "allocationSites"> {
  if (allocation?.sitesFile !== undefined) return { allocationSites: { file: allocation.sitesFile } };
  if (allocation?.sitesError !== undefined) return { allocationSites: { error: allocation.sitesError } };
  return {};
}

/** Allocated KiB and GCs per request, when counted. */
function allocationFigures(allocation: Allocation | undefined, requests: number): Figures {
  if (allocation === undefined || requests === 0) return {};
  return { allocKiBPerRequest: allocation.allocatedBytes / 1024 / requests, gcMsPerRequest: allocation.gcMs / requests, gcCount: allocation.gcCount };
}

/**
 * How busy each core was, and how much of the server core went to anything but the server: on a
 * shared machine that says whether a figure can be trusted.
 */
function busyFigures(observed: { busy: number[]; cpuMs: number; elapsedMs: number }, server: boolean): Figures {
  const figures: Figures = Object.fromEntries(observed.busy.map((percent, core) => [`core${core}BusyPct`, percent]));
  if (server && observed.busy[0] !== undefined)
    figures.core0ForeignPct = Math.max(0, Math.round(observed.busy[0] - (observed.cpuMs / observed.elapsedMs) * 100));
  return figures;
}

export interface LoadScenarioOptions extends Omit<Scenario, "measure" | "rows"> {
  connections: number;
  rows?: Row[];
}

/** Throughput, latency and CPU per request under a load generator at `connections`. */
export function loadScenario(options: LoadScenarioOptions): Scenario {
  return {
    ...options,
    rows: options.rows ?? [],
    async measure(context, target, request) {
      const url = target.url + request.path;
      const load = (seconds: number) =>
        runLoad(context.generator, { url, body: request.body, connections: options.connections, seconds, core: context.loadCore, headers: target.headers });
      if (context.warmupSeconds > 0) await load(context.warmupSeconds);
      const observed = await observe(context, options.name, target, options.allocation, () => load(context.seconds));
      const { result, cpuMs, rssPeakMiB } = observed;
      const failures: string[] = [];
      if (result.errors > 0) failures.push(`${result.errors} transport errors or timeouts`);
      if (result.non2xx > 0) failures.push(`${result.non2xx} responses were not 2xx`);
      const figures: Figures = {
        rps: result.rps,
        p50Ms: result.p50Ms,
        p99Ms: result.p99Ms,
        requests: result.requests,
        ...busyFigures(observed, target.pid !== undefined),
        ...allocationFigures(observed.allocation, result.requests),
      };
      if (target.pid !== undefined) Object.assign(figures, { cpuMsPerRequest: cpuMs / result.requests, rssPeakMiB });
      return { figures, failures, ...sitesOf(observed.allocation), ...perfOf(observed.perfFile, result.requests, "request") };
    },
  };
}

export interface ClientScenarioOptions extends Omit<Scenario, "measure" | "rows"> {
  concurrency: number;
  /** A fixed number of requests (all started at once when equal to `concurrency`), else the run's duration. */
  total?: number;
  /** Chunks per answer, for CPU per chunk. */
  chunks: number;
  rows?: Row[];
}

/** First byte, total time and CPU per chunk with every answer checked. */
export function clientScenario(options: ClientScenarioOptions): Scenario {
  return {
    ...options,
    rows: options.rows ?? [],
    async measure(context, target, request) {
      // The smoke run keeps every check but not the size: 512 streams take longer than it should.
      const total = options.total === undefined ? undefined : context.smoke ? Math.min(options.total, 64) : options.total;
      const concurrency = total === undefined ? options.concurrency : Math.min(options.concurrency, total);
      const run = () =>
        runClients({
          url: target.url + request.path,
          body: request.body,
          headers: target.headers,
          concurrency,
          check: request.check,
          ...(total === undefined ? { durationMs: context.seconds * 1000 } : { total }),
        });
      if (context.warmupSeconds > 0 && total === undefined)
        await runClients({
          url: target.url + request.path,
          body: request.body,
          headers: target.headers,
          concurrency,
          durationMs: context.warmupSeconds * 1000,
        });
      const observed = await observe(context, options.name, target, options.allocation, run);
      const { result, cpuMs, rssPeakMiB } = observed;
      const figures: Figures = {
        completed: result.completed,
        failed: result.failed,
        ...(total !== undefined && { incomplete: total - result.completed }),
        ttfbP50Ms: percentile(result.ttfbMs, 50),
        ttfbP99Ms: percentile(result.ttfbMs, 99),
        totalP50Ms: percentile(result.totalMs, 50),
        totalP99Ms: percentile(result.totalMs, 99),
        wallMs: result.wallMs,
        ...busyFigures(observed, target.pid !== undefined),
        ...allocationFigures(observed.allocation, result.completed),
      };
      if (target.pid !== undefined && result.completed > 0)
        Object.assign(figures, { cpuUsPerChunk: (cpuMs * 1000) / (result.completed * options.chunks), cpuMsPerRequest: cpuMs / result.completed, rssPeakMiB });
      const failures = result.failures.map((reason) => `${result.failed} failed, e.g. ${reason}`).slice(0, 1);
      if (total !== undefined && result.completed !== total) failures.push(`${result.completed} of ${total} complete`);
      return { figures, failures, ...sitesOf(observed.allocation), ...perfOf(observed.perfFile, result.completed * options.chunks, "chunk") };
    },
  };
}
