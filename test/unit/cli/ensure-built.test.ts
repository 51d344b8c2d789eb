import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { build, ensureBuilt, isBuilt } from "../../../bin/ensure-built.mjs";
import { repoRoot } from "../../helpers/cli.ts";

/**
 * A checkout runs compiled JavaScript (issue 18): bin/ensure-built.mjs builds dist/ when it is missing
 * or stale. Checked on a checkout of two files, with the real compiler.
 */
// Each case runs the compiler once or twice: seconds on a busy machine.
describe("building dist/ in a checkout", { timeout: 120_000 }, () => {
  let root: string;
  const source = (path: string, text: string) => {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  /** Moves a file's modification time forward, as an editor saving it later would. */
  const edit = (path: string, text: string) => {
    source(path, text);
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(root, path), later, later);
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "hermes-build-"));
    source("package.json", JSON.stringify({ name: "checkout", type: "module" }));
    source(
      "tsconfig.json",
      JSON.stringify({
        compilerOptions: {
          module: "NodeNext",
          target: "ES2022",
          lib: ["ES2022"],
          types: [],
          skipLibCheck: true,
          outDir: "dist",
          rootDir: ".",
          rewriteRelativeImportExtensions: true,
        },
      }),
    );
    source("tsconfig.build.json", JSON.stringify({ extends: "./tsconfig.json", include: ["src"] }));
    source("src/cli.ts", 'import { word } from "./word.ts";\nexport const said: string = word;\n');
    source("src/word.ts", 'export const word = "one";\n');
    symlinkSync(join(repoRoot, "node_modules"), join(root, "node_modules"));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("builds a missing dist/, then leaves a fresh one alone", async () => {
    expect(isBuilt(root)).toBe(false);
    await ensureBuilt({ root });
    expect(readFileSync(join(root, "dist/src/cli.js"), "utf8")).toContain('from "./word.js"');
    expect(isBuilt(root)).toBe(true);
    const stamp = join(root, "dist/.built");
    const before = readFileSync(stamp, "utf8");
    await ensureBuilt({ root });
    expect(readFileSync(stamp, "utf8")).toBe(before);
  });

  it("rebuilds after a source changes", async () => {
    await ensureBuilt({ root });
    edit("src/word.ts", 'export const word = "two";\n');
    expect(isBuilt(root)).toBe(false);
    await ensureBuilt({ root });
    expect(readFileSync(join(root, "dist/src/word.js"), "utf8")).toContain('"two"');
  });

  it("empties dist/ when a source is deleted, so that nothing of it lingers there", async () => {
    source("src/old.ts", "export const old = 1;\n");
    await ensureBuilt({ root });
    expect(existsSync(join(root, "dist/src/old.js"))).toBe(true);
    rmSync(join(root, "src/old.ts"));
    expect(isBuilt(root)).toBe(false);
    await ensureBuilt({ root });
    expect(existsSync(join(root, "dist/src/old.js"))).toBe(false);
    expect(existsSync(join(root, "dist/src/cli.js"))).toBe(true);
  });

  it("callers that start together share one build and leave no lock behind", async () => {
    await Promise.all([ensureBuilt({ root }), ensureBuilt({ root }), ensureBuilt({ root })]);
    expect(isBuilt(root)).toBe(true);
    expect(existsSync(join(root, "dist.lock"))).toBe(false);
  });

  it("is a no-op where there are no sources (the published package)", async () => {
    rmSync(join(root, "src"), { recursive: true });
    await ensureBuilt({ root });
    expect(existsSync(join(root, "dist"))).toBe(false);
  });

  it("a build that fails says so and names the command that repeats the compiler's messages", () => {
    source("src/broken.ts", "export const x: number = 'not a number';\n");
    expect(() => build({ root })).toThrow(/building dist\/ failed .*npm run build/);
  });
});
