import { runLoad } from "./load.ts";
import { rssMiB } from "./proc.ts";
import type { BenchContext, Target } from "./scenario.ts";

export interface SoakResult {
  requests: number;
  /** RSS after the first slice (warm), and after the last, in MiB. */
  rssStartMiB: number;
  rssEndMiB: number;
  /** End over start: the goal is flat, within ±10 %. */
  growth: number;
  /**
   * The used heap after a full GC before the first slice and after the last, in MiB: what the
   * process holds. RSS also carries the room V8 keeps above it under load, so RSS can grow where this
   * stays flat (no leak), and a leak shows here first.
   */
  liveHeapMiB?: { start: number; end: number };
}

const MiB = 1024 * 1024;

/**
 * Non-stream requests at 50 connections until `requests` have been served, in 10-second slices, to
 * see whether memory stays flat: a leak per request shows as RSS that keeps climbing.
 */
export async function soak(context: BenchContext, target: Target, url: string, body: string, requests: number): Promise<SoakResult> {
  let served = 0;
  let rssStartMiB = 0;
  // Before the load: no GC forced between the two RSS readings, which are both taken under load's regime.
  const liveHeapStart = await target.liveHeapBytes?.();
  while (served < requests) {
    const slice = await runLoad(context.generator, { url, body, connections: 50, seconds: 10, core: context.loadCore });
    if (slice.errors > 0 || slice.non2xx > 0) throw new Error(`soak: ${slice.errors} errors and ${slice.non2xx} non-2xx responses from ${target.label}`);
    if (served === 0) rssStartMiB = rssMiB(target.pid!) ?? 0;
    served += slice.requests;
  }
  // A moment for the last requests' garbage to be collected.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const rssEndMiB = rssMiB(target.pid!) ?? 0;
  // After the RSS reading, which its GC would lower.
  const liveHeapEnd = await target.liveHeapBytes?.();
  return {
    requests: served,
    rssStartMiB,
    rssEndMiB,
    growth: rssEndMiB / rssStartMiB,
    ...(liveHeapStart !== undefined && liveHeapEnd !== undefined && { liveHeapMiB: { start: liveHeapStart / MiB, end: liveHeapEnd / MiB } }),
  };
}
