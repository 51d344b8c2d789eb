#!/usr/bin/env node
// `npm run lock`: writes package-lock.json afresh from package.json alone.
//
// Why not `npm install`: npm resolves a lock next to an existing node_modules (or an older lock) from
// what is installed, and leaves out the optional packages of other platforms (@rollup/rollup-darwin-arm64,
// @esbuild/win32-x64, @oxlint/…): npm/cli#4828. `npm ci` then fails on every other machine with
// "Missing: … from lock file", and macOS and Windows contributors get no native binary. Resolved in an
// empty directory, with no node_modules and no lock to start from, the lock lists every platform's.
//
// Run it after any change to the dependencies in package.json (and after merging one), then `npm ci`.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "hermes-lock-"));
try {
  copyFileSync(join(root, "package.json"), join(scratch, "package.json"));
  // Resolution only: nothing is downloaded into node_modules and no install script runs.
  execFileSync("npm", ["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"], {
    cwd: scratch,
    stdio: "inherit",
    shell: process.platform === "win32",
  });
  copyFileSync(join(scratch, "package-lock.json"), join(root, "package-lock.json"));
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

// The check that the lock is whole: every optional dependency of every locked package is locked too.
const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
const locked = new Set(Object.keys(lock.packages).map((path) => path.replace(/^.*node_modules\//, "")));
const missing = [];
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const name of Object.keys(entry.optionalDependencies ?? {})) if (!locked.has(name)) missing.push(`${name} (for ${path})`);
}
if (missing.length > 0) {
  console.error(`package-lock.json misses optional packages:\n  ${missing.join("\n  ")}`);
  process.exit(1);
}
console.log(`package-lock.json: ${Object.keys(lock.packages).length - 1} packages, every platform's optional ones included. Now run \`npm ci\`.`);
