import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "../../../bin/ensure-built.mjs";
import { repoRoot } from "../../helpers/cli.ts";

/**
 * The CLI holds V8's young generation at its initial size while it starts (issue 18: idle RSS), then
 * lets it grow. Checked in a fresh node process on the compiled module (through jiti, the transpiler's
 * own start-up would grow it first), on whatever V8 runs the tests: a V8 that ignores the flag fails here.
 */
describe("the young generation during start-up", { timeout: 120_000 }, () => {
  beforeAll(() => ensureBuilt({ root: repoRoot }));

  /** New-space size after survivors were made (held, unless `hold` is false), then after more once released. */
  const sizes = ({ hold = true, nodeFlags = [] as string[] } = {}) => {
    const module = pathToFileURL(join(repoRoot, "dist/src/cli/young-generation.js")).href;
    const script = `
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
      console.log(JSON.stringify({ held, released: young(), kept: kept.length }));`;
    const output = execFileSync(process.execPath, [...nodeFlags, "--input-type=module", "-e", script], { encoding: "utf8" });
    return JSON.parse(output) as { held: number; released: number; kept: number };
  };

  it("does not grow while held, and grows again once released", () => {
    const unheld = sizes({ hold: false });
    const { held, released, kept } = sizes();
    expect(kept).toBe(600_000);
    // The same survivors grow an unheld young generation several times over.
    expect(unheld.held).toBeGreaterThanOrEqual(4 * held);
    expect(released).toBeGreaterThanOrEqual(4 * held);
  });

  it("is left to the user's own growth factor when node is given one", () => {
    const { held } = sizes({ nodeFlags: ["--semi-space-growth-factor=4"] });
    expect(held).toBeGreaterThanOrEqual(4 * sizes().held);
  });
});
