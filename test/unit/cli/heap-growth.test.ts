import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "../../../bin/ensure-built.mjs";
import { repoRoot } from "../../helpers/cli.ts";

/**
 * The CLI sets V8's heap growth at run time (issue 18: idle and peak RSS). Checked in a fresh node
 * process on the compiled module (through jiti, the transpiler's own start-up would grow the heap
 * first), on whatever V8 runs the tests: a V8 that ignores the flags fails here.
 */
describe("V8's heap growth under the CLI", { timeout: 120_000 }, () => {
  beforeAll(() => ensureBuilt({ root: repoRoot }));
  const module = pathToFileURL(join(repoRoot, "dist/src/cli/heap-growth.js")).href;
  const run = (script: string, nodeFlags: string[] = []) =>
    JSON.parse(execFileSync(process.execPath, [...nodeFlags, "--input-type=module", "-e", script], { encoding: "utf8" })) as Record<string, number>;

  describe("the young generation during start-up", () => {
    /** New-space size after survivors were made (held, unless `hold` is false), then after more once released. */
    const sizes = ({ hold = true, nodeFlags = [] as string[] } = {}) =>
      run(
        `
        import { getHeapSpaceStatistics } from "node:v8";
        const { holdYoungGeneration, releaseYoungGeneration } = await import(${JSON.stringify(module)});
        const young = () => getHeapSpaceStatistics().find((space) => space.space_name === "new_space").space_size;
        const kept = [];
        const survivors = () => { for (let i = 0; i < 300_000; i++) kept.push({ i }); };
        if (${hold}) holdYoungGeneration();
        survivors();
        const held = young();
        releaseYoungGeneration();
        survivors();
        console.log(JSON.stringify({ held, released: young(), kept: kept.length }));`,
        nodeFlags,
      );

    it("does not grow while held, and grows again once released", () => {
      const unheld = sizes({ hold: false });
      const { held, released, kept } = sizes();
      expect(kept).toBe(600_000);
      // The same survivors grow an unheld young generation several times over.
      expect(unheld.held).toBeGreaterThanOrEqual(4 * held!);
      expect(released).toBeGreaterThanOrEqual(4 * held!);
    });

    it("is left to the user's own growth factor when node is given one", () => {
      const { held } = sizes({ nodeFlags: ["--semi-space-growth-factor=4"] });
      expect(held).toBeGreaterThanOrEqual(4 * sizes().held!);
    });
  });

  describe("the old generation under load", () => {
    /**
     * The old space's largest size while 200,000 objects stay alive and windows of 200,000 more are
     * promoted and then dropped, as a busy proxy's requests are: with the limit, and without.
     */
    const peakOldSpace = ({ limit = true, nodeFlags = [] as string[] } = {}) =>
      run(
        `
        import { getHeapSpaceStatistics } from "node:v8";
        const { limitOldGeneration } = await import(${JSON.stringify(module)});
        if (${limit}) limitOldGeneration();
        const old = () => getHeapSpaceStatistics().find((space) => space.space_name === "old_space").space_size;
        const kept = Array.from({ length: 200_000 }, (_, i) => ({ i, text: "kept " + i }));
        const window = new Array(200_000);
        let peak = 0;
        for (let round = 0; round < 40; round++) {
          for (let i = 0; i < window.length; i++) window[i] = { round, i, text: "dropped " + i };
          peak = Math.max(peak, old());
        }
        console.log(JSON.stringify({ peak, kept: kept.length }));`,
        nodeFlags,
      );

    it("grows by half of what stays alive instead of V8's up to 4×", () => {
      const unlimited = peakOldSpace({ limit: false });
      const limited = peakOldSpace();
      expect(limited.kept).toBe(200_000);
      // Measured: 167 MiB without, 86 MiB with.
      expect(limited.peak).toBeLessThan(0.7 * unlimited.peak!);
    });

    it("is left to the user's own growth when node is given one", () => {
      const own = peakOldSpace({ nodeFlags: ["--heap-growing-percent=300"] });
      expect(own.peak).toBeGreaterThan(1.4 * peakOldSpace().peak!);
    });
  });
});
