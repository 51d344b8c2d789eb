/**
 * Reads a V8 sampling heap profile (`.heapprofile`, taken by `allocation-probe.mjs` under
 * `--alloc-sites`) and prints where the bytes of a request went: per request by area (our `src/`
 * files, each package, Node internals, V8 with no script frame), and the top sites by self bytes,
 * each charged to our innermost function with the library frames it called down to the allocation
 * (the CPU profile's `profile-summary.ts` does the same for time, with the same helpers).
 *
 *   node --import jiti/register bench/allocation-sites.ts bench-results/profiles/<run>/hermes/<scenario>.heapprofile [--requests N] [--top 20]
 */
import { readFileSync } from "node:fs";
import { areaOf, type Frame, frameKey, isOurs, largest, walkByOurs } from "./profile-summary.ts";

interface HeapNode {
  callFrame: Frame;
  /** Bytes sampled in this frame itself (V8 scales the samples up to an estimate of all bytes). */
  selfSize: number;
  children: HeapNode[];
}

export interface HeapProfile {
  head: HeapNode;
}

/** A library or Node frame in a site's chain: its name and where it lives, not its whole path. */
function libraryLabel(frame: Frame): string {
  const area = areaOf(frame.url, frame.functionName);
  return frame.url ? `${frame.functionName || "(anonymous)"} (${area})` : frame.functionName || "(anonymous)";
}

/** The frames below our function down to the allocating one: all of a short chain, the ends of a long one. */
function chain(below: readonly Frame[]): string {
  const labels = below.map(libraryLabel);
  return labels.length <= 3 ? labels.join(" → ") : `${labels[0]} → … → ${labels.slice(-2).join(" → ")}`;
}

/** What kind of code an area is, for the totals line. */
function groupOf(area: string): string {
  if (area.startsWith("src/") || area === "src") return "ours (src/)";
  if (area.startsWith("node:")) return "Node internals";
  if (area.startsWith("(")) return "V8 builtins and runtime (JSON, strings, arrays, promises; no script)";
  return "packages";
}

/**
 * `requests`: what the profiled load served (every figure is per request); `countedKiB`: the probe's
 * own count per request, printed beside the sampled total as a check of the sampling.
 */
export function summarizeAllocation(profile: HeapProfile, requests: number, top = 20, countedKiB?: number): string {
  const areas = new Map<string, number>();
  const groups = new Map<string, number>();
  const sites = new Map<string, number>();
  const owners = new Map<string, number>();
  let total = 0;
  walkByOurs(
    profile.head,
    (node) => node.callFrame,
    (node) => node.children,
    (node, ours, below) => {
      if (node.selfSize === 0) return;
      total += node.selfSize;
      const area = areaOf(node.callFrame.url, node.callFrame.functionName);
      areas.set(area, (areas.get(area) ?? 0) + node.selfSize);
      groups.set(groupOf(area), (groups.get(groupOf(area)) ?? 0) + node.selfSize);
      // Without a frame of ours on the stack (socket reads, timers, the framework's own work), the
      // innermost frames say what it was.
      const owner = ours ? frameKey(ours) : "(no frame of ours)";
      const site = ours ? (isOurs(node.callFrame.url) ? owner : `${owner} → ${chain(below)}`) : `${owner} ${chain(below.slice(-2))}`;
      sites.set(site, (sites.get(site) ?? 0) + node.selfSize);
      owners.set(owner, (owners.get(owner) ?? 0) + node.selfSize);
    },
  );
  const per = Math.max(requests, 1);
  const kib = (bytes: number) => (bytes / 1024 / per).toFixed(2).padStart(7);
  const pct = (bytes: number) => `${((bytes / Math.max(total, 1)) * 100).toFixed(1).padStart(5)} %`;
  const counted = countedKiB === undefined ? "" : `; the probe counted ${countedKiB.toFixed(1)}`;
  const out = [`sampled ${(total / 1024 / per).toFixed(1)} KiB per request over ${requests} requests${counted}`, "", "KiB per request by kind:"];
  for (const [group, bytes] of largest(groups, 10)) out.push(`  ${kib(bytes)} ${pct(bytes)}  ${group}`);
  out.push("", "KiB per request by area (where the allocating frame lives):");
  for (const [area, bytes] of largest(areas, 20)) out.push(`  ${kib(bytes)} ${pct(bytes)}  ${area}`);
  out.push("", `top ${top} sites (KiB per request; our innermost function → the library frames it called down to the allocation):`);
  for (const [site, bytes] of largest(sites, top)) out.push(`  ${kib(bytes)} ${pct(bytes)}  ${site}`);
  out.push("", `top ${top} of our functions (with everything they called):`);
  for (const [owner, bytes] of largest(owners, top)) out.push(`  ${kib(bytes)} ${pct(bytes)}  ${owner}`);
  return out.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: allocation-sites.ts <file.heapprofile> [--requests N] [--top N]");
    process.exit(1);
  }
  const option = (name: string, fallback: number) => {
    const index = process.argv.indexOf(name);
    return index > 0 ? Number(process.argv[index + 1]) : fallback;
  };
  console.log(summarizeAllocation(JSON.parse(readFileSync(file, "utf8")) as HeapProfile, option("--requests", 1), option("--top", 20)));
}
