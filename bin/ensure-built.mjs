// Builds dist/ in a git checkout when it is missing or older than the sources, so that `npm start`
// (and every test that spawns the CLI) runs the same compiled JavaScript as the published package,
// instead of transpiling the proxy's TypeScript in-process (jiti held 100+ MiB for it: issue 18).
// The published package has no src/: there this is a no-op.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const packageRoot = fileURLToPath(new URL("..", import.meta.url));
/** What tsconfig.build.json compiles. */
const sourceFolders = ["src", "sdk", "plugins"];
const configFiles = ["tsconfig.json", "tsconfig.build.json", "package.json"];
/** A lock older than this was left by a build that died. */
const staleLockMs = 10 * 60_000;

const paths = (root) => ({
  /** Holds the list of files the last build read; its mtime is when that build started. */
  stamp: join(root, "dist", ".built"),
  /** tsc's incremental state; left out of the package (`files` in package.json). */
  buildInfo: join(root, "dist", ".tsbuildinfo"),
  lock: join(root, "dist.lock"),
});

/** The files the build reads (sorted, one per line) and the newest modification time among them. */
function scanSources(root) {
  const files = [];
  let newest = 0;
  const visit = (path) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) visit(child);
      else if (entry.name.endsWith(".ts")) {
        files.push(relative(root, child));
        newest = Math.max(newest, statSync(child).mtimeMs);
      }
    }
  };
  for (const folder of sourceFolders) if (existsSync(join(root, folder))) visit(join(root, folder));
  for (const file of configFiles) if (existsSync(join(root, file))) newest = Math.max(newest, statSync(join(root, file)).mtimeMs);
  return { list: files.sort().join("\n"), newest };
}

/** dist/ was built after the last change to a source, from the same set of files. */
export function isBuilt(root = packageRoot) {
  const { stamp } = paths(root);
  if (!existsSync(stamp)) return false;
  const { list, newest } = scanSources(root);
  return statSync(stamp).mtimeMs >= newest && readFileSync(stamp, "utf8") === list;
}

/**
 * Compiles src/, sdk/ and plugins/ into dist/, stamped with the time the build started and the files
 * it read. Incremental when only the contents of files changed; from an emptied dist/ when the set of
 * files changed (a deleted source must not linger there) or when `clean` asks for it.
 */
export function build({ clean = false, root = packageRoot } = {}) {
  const { stamp, buildInfo } = paths(root);
  const startedAt = new Date();
  const { list } = scanSources(root);
  if (clean || !existsSync(stamp) || readFileSync(stamp, "utf8") !== list) {
    // tsc trusts its build info over what is on disk: without it, it would not rewrite an emptied dist/.
    rmSync(join(root, "dist"), { recursive: true, force: true });
  }
  let tsc;
  try {
    tsc = createRequire(join(root, "package.json")).resolve("typescript/bin/tsc");
  } catch {
    throw new Error("hermes-proxy: building dist/ needs the dev dependencies (run `npm install` in the checkout)");
  }
  const args = [tsc, "-p", join(root, "tsconfig.build.json"), "--incremental", "--tsBuildInfoFile", buildInfo];
  const result = spawnSync(process.execPath, args, { stdio: ["ignore", "inherit", "inherit"] });
  if (result.status !== 0) throw new Error("hermes-proxy: building dist/ failed (the compiler's messages are above; `npm run build` repeats them)");
  writeFileSync(stamp, list);
  utimesSync(stamp, startedAt, startedAt);
}

/** Builds dist/ when a checkout's sources changed since, one process at a time (tests start many at once). */
export async function ensureBuilt({ root = packageRoot } = {}) {
  if (!existsSync(join(root, "src")) || isBuilt(root)) return;
  const { lock } = paths(root);
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
      const heldSince = statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() - heldSince > staleLockMs) rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    if (!isBuilt(root)) {
      process.stderr.write("hermes-proxy: building dist/ from the checkout's sources…\n");
      build({ root });
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    if (process.argv.includes("--clean")) build({ clean: true });
    else await ensureBuilt();
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
