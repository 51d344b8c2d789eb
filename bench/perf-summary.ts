/**
 * Reads Linux `perf script` output of a server sampled with `perf record -g` (node run with
 * `--perf-basic-prof`, so that JIT frames carry their JavaScript names) and prints where its CPU went,
 * in µs per request. Unlike V8's `--cpu-prof`, which samples the main thread on a wall clock (a sample
 * taken while the thread waits for the core is charged to whatever line it waits on), perf samples what
 * runs on the CPU, every thread of the process and the kernel included: the system calls, the GC and
 * JIT-compiler threads, the C++ of the JSON builtins.
 *
 * Each sample goes to one kind, first match wins: `(kernel)` (the sample was in the kernel),
 * `(JIT compiler)` (V8 compiling), `(GC)`, then the innermost frame of ours (`src/…`), then the innermost JavaScript
 * frame (a package or a Node internal), else the native function it was in.
 *
 *   node --import jiti/register bench/perf-summary.ts <perf-script.txt> --units N [--hz 999] [--top 30]
 */
import { readFileSync } from "node:fs";

/** `--perf`'s sampling rate: low enough that perf's own cost stays within the machine's noise. */
export const perfHz = 999;

const gc = /Scavenger|ScavengerCollector|MarkCompact|ConcurrentMarking|IncrementalMarking|MinorMarkCompact|Sweeper|Heap::CollectGarbage|MarkingVisitor/;
const jit = /compiler::|Compiler::|CompileLazy|maglev::|Maglev/;

/** A JIT frame of our code (`src/…`) as `function src/file.js:line`; undefined for any other frame. */
function ourFrame(frame: string): { name: string; file: string } | undefined {
  const ours = / JS:[*^~+]?(\S*) \S*?\/(src\/[^:\s]+):(\d+)/.exec(frame);
  return ours ? { name: `${ours[1] || "(anonymous)"} ${ours[2]}:${ours[3]}`, file: ours[2]! } : undefined;
}

/** The kind a sample's frames (leaf first, as `perf script` prints them) belong to. */
export function kindOf(frames: readonly string[]): { area: string; where: string } {
  const leaf = frames[0] ?? "";
  if (/\[kernel\.kallsyms\]|\(\[kernel/.test(leaf)) return { area: "(kernel)", where: "(kernel)" };
  if (frames.some((frame) => jit.test(frame))) return { area: "(JIT compiler)", where: "(JIT compiler)" };
  if (frames.some((frame) => gc.test(frame))) return { area: "(GC)", where: "(GC)" };
  for (const frame of frames) {
    const ours = ourFrame(frame);
    if (ours) return { area: ours.file.replace(/\/[^/]+$/, ""), where: ours.name };
  }
  for (const frame of frames) {
    const js = / JS:[*^~+]?(\S*) (\S+?):\d+:\d+/.exec(frame);
    if (js && !frame.includes("Builtins_")) {
      const url = js[2]!;
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
      const area = pkg ? pkg[1]! : url.startsWith("node:") ? `node:${url.slice(5).split("/").slice(0, 2).join("/")}` : url;
      return { area, where: `${js[1] || "(anonymous)"} ${area}` };
    }
  }
  const symbol = leaf
    .replace(/^\s*[0-9a-f]+\s+/, "")
    .replace(/\+0x[0-9a-f]+.*$/, "")
    .replace(/\s*\(.*$/, "");
  return { area: "(native)", where: symbol.slice(0, 90) };
}

/** Every function of ours on a sample's stack, once each: what it costs with everything it called. */
function oursOnStack(frames: readonly string[]): Set<string> {
  const seen = new Set<string>();
  for (const frame of frames) {
    const ours = ourFrame(frame);
    if (ours) seen.add(ours.name);
  }
  return seen;
}

/** The samples of `perf script` output, each as its frames (leaf first). */
export function samplesOf(text: string): string[][] {
  return text
    .split(/\n\s*\n/)
    .map((block) => block.split("\n").filter((line) => /^\s+[0-9a-f]+ /.test(line)))
    .filter((frames) => frames.length > 0);
}

/** The report: µs per unit (request, stream) by kind and by function, `top` of each. */
export function summarizePerf(text: string, units: number, options: { hz?: number; top?: number } = {}): string {
  const hz = options.hz ?? perfHz;
  const top = options.top ?? 25;
  const areas = new Map<string, number>();
  const places = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const samples = samplesOf(text);
  for (const frames of samples) {
    const { area, where } = kindOf(frames);
    areas.set(area, (areas.get(area) ?? 0) + 1);
    places.set(where, (places.get(where) ?? 0) + 1);
    for (const function_ of oursOnStack(frames)) inclusive.set(function_, (inclusive.get(function_) ?? 0) + 1);
  }
  const us = (count: number) => ((count * 1e6) / hz / Math.max(1, units)).toFixed(1).padStart(8);
  const largest = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [
    `${samples.length} samples at ${hz} Hz: ${us(samples.length).trim()} µs of CPU per unit (${units} units)`,
    "",
    "µs per unit by kind (kernel, JIT compiler, GC, our folders, packages, Node internals):",
    ...largest(areas).map(([area, count]) => `${us(count)}  ${area}`),
    "",
    "µs per unit by place (our innermost function, else the innermost JavaScript, else the native function):",
    ...largest(places).map(([where, count]) => `${us(count)}  ${where}`),
    "",
    // Optimised code is named after the function its callees were inlined into: run the server with
    // --no-turbo-inlining (`--node-flags`) for each function to keep its own frame.
    "µs per unit in our functions with everything they called (inlined callees count as their caller's):",
    ...largest(inclusive).map(([function_, count]) => `${us(count)}  ${function_}`),
  ].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, ...rest] = process.argv.slice(2);
  const option = (name: string, fallback: number) => {
    const index = rest.indexOf(name);
    return index === -1 ? fallback : Number(rest[index + 1]);
  };
  if (!file || !rest.includes("--units")) {
    console.error("usage: perf-summary.ts <perf-script.txt> --units N [--hz 999] [--top 25]");
    process.exit(2);
  }
  console.log(summarizePerf(readFileSync(file, "utf8"), option("--units", 1), { hz: option("--hz", perfHz), top: option("--top", 25) }));
}
