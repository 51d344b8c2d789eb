import { setFlagsFromString } from "node:v8";

/** The V8 flag that sets how much the young generation grows at a time; V8 starts it at 2 (doubling). */
const youngGrowthFlag = "semi-space-growth-factor";
const defaultYoungGrowthFactor = 2;

/** The V8 flag that fixes how far the old generation may grow past what its last full GC kept. */
const oldGrowthFlag = "heap-growing-percent";

/**
 * How far the old generation may grow past what its last full GC found alive, in percent. V8's own
 * factor goes up to 4× where node's heap limit is 2 GiB or more (4 GiB on the 24 GiB bench machine),
 * and under load it gets there: a proxy keeping 21 MB alive let 88 MB of dead records pile up before
 * collecting them (issue 18: that headroom was most of the 160-190 MiB peak at 50 connections). 50 %
 * rather than V8's "conservative" 30 %: a full GC marks everything alive, and a large store (a full
 * memory storage, the response cache) would be marked whole every time 30 % of its size was promoted.
 * The figures are in `docs/performance.md`.
 */
export const oldGrowthPercent = 50;

let held = false;

/**
 * Keeps V8's young generation at its initial size (1 MiB per semi-space) while the command starts.
 * Loading the proxy's modules leaves many survivors in the young generation, and V8 doubles it for
 * them until it reaches 8 MiB per semi-space: 8-9 MiB of resident memory that an idle proxy then holds
 * until V8's memory reducer shrinks it back, about 8 s after start-up (issue 18: idle RSS 80 → 71 MiB).
 * `releaseYoungGeneration()` restores V8's growth once the server listens, so that load grows the young
 * generation exactly as before and the CPU per request does not change.
 *
 * A growth factor of 1 is below the minimum V8 enforces for the command-line flag, which is why this
 * is set at run time; a V8 that ignores it only starts with the young generation it would have anyway.
 * Left alone when node is given the flag.
 */
export function holdYoungGeneration(): void {
  if (userSets(youngGrowthFlag)) return;
  setFlagsFromString(`--${youngGrowthFlag}=1`);
  held = true;
}

/** Lets the young generation grow again, with V8's own factor. Does nothing unless it was held. */
export function releaseYoungGeneration(): void {
  if (!held) return;
  held = false;
  setFlagsFromString(`--${youngGrowthFlag}=${defaultYoungGrowthFactor}`);
}

/**
 * Holds the old generation's growth to `oldGrowthPercent` past what each full GC keeps. V8 reads the
 * flag whenever it sets its next limit, so it applies from the next collection on (a heap-size flag such
 * as `--max-old-space-size` would have to be on node's command line, which `npx` does not give).
 * Left alone when the user sets it.
 */
export function limitOldGeneration(): void {
  if (userSets(oldGrowthFlag)) return;
  setFlagsFromString(`--${oldGrowthFlag}=${oldGrowthPercent}`);
}

/** Whether node was given the V8 flag (V8 takes `-` and `_` alike); NODE_OPTIONS is read too, for a node that comes to allow it there. */
function userSets(flag: string): boolean {
  const named = new RegExp(flag.replaceAll("-", "[-_]"));
  return process.execArgv.some((argument) => named.test(argument)) || named.test(process.env.NODE_OPTIONS ?? "");
}
