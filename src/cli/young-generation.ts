import { setFlagsFromString } from "node:v8";

/** The V8 flag that sets how much the young generation grows at a time; V8 starts it at 2 (doubling). */
const growthFlag = "semi-space-growth-factor";
const defaultGrowthFactor = 2;

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
 * Left alone when the user sets the flag (NODE_OPTIONS or node's own arguments).
 */
export function holdYoungGeneration(): void {
  if (userSetsGrowth()) return;
  setFlagsFromString(`--${growthFlag}=1`);
  held = true;
}

/** Lets the young generation grow again, with V8's own factor. Does nothing unless it was held. */
export function releaseYoungGeneration(): void {
  if (!held) return;
  held = false;
  setFlagsFromString(`--${growthFlag}=${defaultGrowthFactor}`);
}

function userSetsGrowth(): boolean {
  const named = /semi[-_]space[-_]growth[-_]factor/;
  return process.execArgv.some((argument) => named.test(argument)) || named.test(process.env.NODE_OPTIONS ?? "");
}
