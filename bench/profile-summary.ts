/**
 * Reads a V8 `.cpuprofile` (from `node --cpu-prof`) and prints where the time went: by area (our
 * source folders, each package, Node internals, GC), the top functions by self time, and our own
 * functions by inclusive time. Idle time is left out of every percentage.
 *
 *   node --import jiti/register bench/profile-summary.ts bench-results/profiles/<file>.cpuprofile [--top 25]
 */
import { readFileSync } from "node:fs";

/** A frame as V8's profiles (CPU and sampling heap) describe it. */
export interface Frame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: Frame;
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Which part of the process a frame belongs to. */
export function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/").slice(0, 2).join("/")}`;
  const ours = /\/(src\/[^/]+(?:\/[^/.]+)?)/.exec(url);
  if (ours) return ours[1]!.replace(/\/[^/]*\.[jt]s$/, "");
  return url;
}

/** Whether a frame's script is ours (`src/`, from the sources or compiled), not a package's that has a `src/` too. */
export function isOurs(url: string): boolean {
  return url.includes("/src/") && !url.includes("/node_modules/");
}

function shortUrl(url: string): string {
  const pkg = /node_modules\/(.*)$/.exec(url);
  if (pkg) return pkg[1]!;
  const ours = /\/(src\/.*)$/.exec(url);
  return ours ? ours[1]! : url.replace(/^file:\/\//, "");
}

/** A function with its file and line (ours and packages'), or its name (native, V8's own). */
export function frameKey({ functionName, url, lineNumber }: Frame): string {
  return url ? `${functionName || "(anonymous)"} ${shortUrl(url)}:${lineNumber + 1}` : functionName;
}

const keyOf = (node: ProfileNode) => frameKey(node.callFrame);

/**
 * Visits every node of a call tree with the innermost of our frames on its stack (itself included;
 * undefined when there is none) and the frames below that one down to the node (the library and Node
 * code our function called): what charges a cost to the line of ours that caused it. `below` is
 * reused between visits; read it, don't keep it.
 */
export function walkByOurs<N, F extends Frame>(
  root: N,
  frameOf: (node: N) => F,
  childrenOf: (node: N) => Iterable<N>,
  visit: (node: N, ours: F | undefined, below: readonly F[]) => void,
): void {
  const below: F[] = [];
  const walk = (node: N, ours: F | undefined): void => {
    const frame = frameOf(node);
    const mine = isOurs(frame.url);
    const saved = below.length;
    const savedFrames = mine ? below.splice(0) : undefined;
    if (!mine) below.push(frame);
    const owner = mine ? frame : ours;
    visit(node, owner, below);
    for (const child of childrenOf(node)) walk(child, owner);
    if (savedFrames) below.push(...savedFrames);
    else below.length = saved;
  };
  walk(root, undefined);
}

/** The `n` largest entries of a map of costs, largest first. */
export function largest(map: Map<string, number>, n: number): [string, number][] {
  return [...map].sort((a, b) => b[1] - a[1]).slice(0, n);
}

export function summarize(profile: CpuProfile, top = 25): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  // Self time per node from the sample stream: each sample lasts until the next one.
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i + 1] ?? 0;
    self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + delta);
  }
  let idle = 0;
  let total = 0;
  for (const [id, time] of self) {
    total += time;
    if (byId.get(id)!.callFrame.functionName === "(idle)") idle += time;
  }
  const busy = total - idle;
  const pct = (time: number) => `${((time / busy) * 100).toFixed(1).padStart(5)} %`;
  const ms = (time: number) => `${(time / 1000).toFixed(0).padStart(7)} ms`;

  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, time] of self) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === "(idle)") continue;
    const area = areaOf(node.callFrame.url, node.callFrame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + time);
    functions.set(keyOf(node), (functions.get(keyOf(node)) ?? 0) + time);
  }

  // Inclusive time of our own functions, each counted once per stack even when it recurses.
  const inclusive = new Map<string, number>();
  const walk = (id: number, onStack: Set<string>): number => {
    const node = byId.get(id)!;
    let time = node.callFrame.functionName === "(idle)" ? 0 : (self.get(id) ?? 0);
    const key = keyOf(node);
    const ours = isOurs(node.callFrame.url) && !onStack.has(key);
    if (ours) onStack.add(key);
    for (const child of node.children ?? []) time += walk(child, onStack);
    if (ours) {
      onStack.delete(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + time);
    }
    return time;
  };
  walk(profile.nodes[0]!.id, new Set());

  // Every sample charged to the innermost of our functions on its stack (itself included), so that a
  // library call made for us counts against the line that made it; stacks without one go to the area
  // of their innermost frame (socket I/O, timers, the framework's own work).
  const blame = new Map<string, number>();
  walkByOurs(
    profile.nodes[0]!,
    (node) => node.callFrame,
    (node) => (node.children ?? []).map((id) => byId.get(id)!),
    (node, ours) => {
      const time = self.get(node.id) ?? 0;
      if (time === 0 || node.callFrame.functionName === "(idle)") return;
      const key = ours ? frameKey(ours) : `[${areaOf(node.callFrame.url, node.callFrame.functionName)}]`;
      blame.set(key, (blame.get(key) ?? 0) + time);
    },
  );

  const out = [`busy ${ms(busy).trim()} of ${ms(total).trim()} sampled (${((busy / total) * 100).toFixed(0)} %)`, "", "by area (self time):"];
  for (const [area, time] of largest(areas, 20)) out.push(`  ${pct(time)} ${ms(time)}  ${area}`);
  out.push("", `top ${top} functions (self time):`);
  for (const [name, time] of largest(functions, top)) out.push(`  ${pct(time)} ${ms(time)}  ${name}`);
  out.push("", `top ${top} by our innermost caller (what each of our functions costs with the library code it calls):`);
  for (const [name, time] of largest(blame, top)) out.push(`  ${pct(time)} ${ms(time)}  ${name}`);
  out.push("", `top ${top} of our functions (inclusive time):`);
  for (const [name, time] of largest(inclusive, top)) out.push(`  ${pct(time)} ${ms(time)}  ${name}`);
  return out.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: profile-summary.ts <file.cpuprofile> [--top N]");
    process.exit(1);
  }
  const topIndex = process.argv.indexOf("--top");
  const top = topIndex > 0 ? Number(process.argv[topIndex + 1]) : 25;
  console.log(summarize(JSON.parse(readFileSync(file, "utf8")) as CpuProfile, top));
}
