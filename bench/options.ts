import { resolve } from "node:path";
import { parseArgs } from "node:util";

export interface BenchOptions {
  runs: number;
  seconds: number;
  warmupSeconds: number;
  /** Seconds of Chat load each freshly started server gets before its first scenario (0: none). */
  primeSeconds: number;
  /** Scenario names to run; all when empty. */
  only: string[];
  smoke: boolean;
  /** Run hermes under `--cpu-prof` and summarise the profile (the figures then carry the profiler's cost). */
  profile: boolean;
  /**
   * Sample where hermes allocates during the measured load of the allocation scenarios and of those
   * named by `--only` (V8's sampling heap profiler), and summarise each profile.
   */
  allocSites: boolean;
  /** Sample hermes and the pipe proxy with Linux `perf` in the scenarios named by `--only` (all without it). */
  perf: boolean;
  /** Measure `dist/src/cli.js` as it is instead of compiling the working tree first. */
  build: boolean;
  /** Before each measurement, wait up to this many seconds for the machine to be quiet (0: never wait). */
  quietSeconds: number;
  /** Non-stream requests to serve after the scenarios, watching RSS (0: no soak). */
  soak: number;
  /** Measure this compiled CLI as hermes instead (another build, another checkout). */
  hermes: string | undefined;
  /** Other compiled hermes CLIs measured in the same run, for A/B comparisons: label → path of cli.js. */
  variants: Record<string, string>;
  /** Node flags for every hermes process (not the pipe proxy), such as V8 heap sizes. */
  nodeFlags: string[];
  /** hermes's storage: `memory`, `fs`, `sqlite` (fresh files under bench-results/) or a `redis://` URL. */
  storage: string;
  /** More storages, each measured by its own hermes process in the same run (`--storages`), shown as columns. */
  moreStorages: string[];
  /** Also measure the peer gateways (Portkey's) in the Chat scenarios. */
  peers: boolean;
}

export const usage = `npm run bench -- [options]

  --runs N        repetitions, the order of hermes and the pipe proxy alternating (default 2)
  --seconds N     measured seconds per load run (default 5)
  --warmup N      warm-up seconds before each (default 1)
  --prime N       seconds of load of each request shape (Chat and Responses, JSON and stream) every
                  server gets once started, before its first scenario (default 5): a fresh
                  process's JIT and heap are not settled by a 1 s warm-up
  --only a,b      run only these scenarios (names as in bench/scenarios.ts)
  --smoke         one short run of every scenario from the sources (no compile), every answer
                  checked; exits 1 on a wrong answer
  --quiet N       before each measurement, wait up to N seconds for every CPU to be under 20 %
                  busy (a shared machine: someone's test suite doubles the figures)
  --soak N        after the scenarios, serve N non-stream requests and report RSS growth
                  (the issue's goal: flat within ±10 % after 100000)
  --profile       run hermes under node --cpu-prof and print where its time went
  --alloc-sites   in the allocation scenarios (and those named by --only), sample where hermes
                  allocates during the measured load (V8's sampling heap profiler), save each
                  profile (bench-results/profiles/, a .heapprofile DevTools loads) and print KiB
                  per request by area and the top 20 sites; hermes's figures there carry its cost
                  (with --node-flags=--no-turbo-inlining, inlined functions' bytes are their own)
  --perf          sample hermes and the pipe proxy with Linux perf (apt-get install linux-perf) in
                  the measured load of the scenarios named by --only (all without it), save each
                  perf.data (bench-results/profiles/) and print µs per request or chunk by kind:
                  kernel, GC, JIT compiler, our functions, packages; what runs on the CPU, all
                  threads and system calls included (--profile samples the main thread on a wall
                  clock); the sampled figures carry perf's cost
  --no-build      measure dist/ as it is instead of compiling the working tree
  --hermes P      measure the compiled hermes CLI at path P (a dist/src/cli.js) instead
  --variant L=P   also measure the compiled hermes CLI at path P (e.g. another checkout's
                  dist/src/cli.js) as L, interleaved with the others; repeatable
  --node-flags F  node flags for every hermes process, space-separated (e.g.
                  "--max-semi-space-size=2": what V8's heap sizing costs in memory and CPU)
  --storage S     hermes's storage: memory (default), fs or sqlite (fresh files under
                  bench-results/storage/, removed after each run), or a redis:// URL (a
                  fresh key prefix per run, left behind: use a database you can flush)
  --storages a,b  hermes once per storage in the same run (e.g. memory,fs,sqlite,redis://127.0.0.1:6379),
                  interleaved; the first is "hermes", the others columns beside it
  --peers         also measure Portkey's gateway (@portkey-ai/gateway, installed on first use into
                  node_modules/.cache/hermes-bench-peers/, or $BENCH_PEERS_DIR) in the Chat scenarios;
                  the table shows its figures and hermes's ratio to them
  --help`;

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: "string" },
      seconds: { type: "string" },
      warmup: { type: "string" },
      prime: { type: "string" },
      only: { type: "string" },
      smoke: { type: "boolean", default: false },
      profile: { type: "boolean", default: false },
      "alloc-sites": { type: "boolean", default: false },
      perf: { type: "boolean", default: false },
      "no-build": { type: "boolean", default: false },
      variant: { type: "string", multiple: true },
      hermes: { type: "string" },
      soak: { type: "string" },
      quiet: { type: "string" },
      "node-flags": { type: "string" },
      storage: { type: "string" },
      storages: { type: "string" },
      peers: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const smoke = values.smoke;
  const number = (value: string | undefined, fallback: number) => {
    const parsed = value === undefined ? fallback : Number(value);
    if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`not a number: ${value}\n\n${usage}`);
    return parsed;
  };
  return {
    runs: number(values.runs, smoke ? 1 : 2),
    seconds: number(values.seconds, smoke ? 1 : 5),
    warmupSeconds: number(values.warmup, smoke ? 0 : 1),
    primeSeconds: number(values.prime, smoke ? 0 : 5),
    soak: number(values.soak, 0),
    quietSeconds: number(values.quiet, 0),
    only: values.only ? values.only.split(",").map((name) => name.trim()) : [],
    smoke,
    profile: values.profile,
    allocSites: values["alloc-sites"],
    perf: values.perf,
    build: !values["no-build"] && values.hermes === undefined,
    hermes: values.hermes === undefined ? undefined : resolve(values.hermes),
    nodeFlags: (values["node-flags"] ?? "").split(/\s+/).filter((flag) => flag !== ""),
    ...storages(values.storage, values.storages),
    peers: values.peers,
    variants: Object.fromEntries(
      (values.variant ?? []).map((spec) => {
        const at = spec.indexOf("=");
        if (at < 1) throw new Error(`--variant takes label=path/to/cli.js, got ${spec}`);
        return [spec.slice(0, at), resolve(spec.slice(at + 1))];
      }),
    ),
  };
}

function storages(one: string | undefined, list: string | undefined): { storage: string; moreStorages: string[] } {
  if (one !== undefined && list !== undefined) throw new Error(`give --storage or --storages, not both\n\n${usage}`);
  const all = (list ?? one ?? "memory").split(",").map((value) => storageOption(value.trim()));
  const labels = all.map(storageLabel);
  if (new Set(labels).size !== labels.length) throw new Error(`--storages names a kind twice: ${list}`);
  return { storage: all[0]!, moreStorages: all.slice(1) };
}

/** `memory`, `fs`, `sqlite` or `redis`: how a storage is named in labels and columns. */
export function storageLabel(storage: string): string {
  return storage.startsWith("redis://") ? "redis" : storage;
}

function storageOption(value: string): string {
  if (["memory", "fs", "sqlite"].includes(value) || value.startsWith("redis://")) return value;
  throw new Error(`--storage takes memory, fs, sqlite or a redis:// URL, got ${value}\n\n${usage}`);
}
