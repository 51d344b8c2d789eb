#!/usr/bin/env node
// Runs the compiled CLI. In a git checkout, dist/ is built first when it is missing or older than
// the sources (bin/ensure-built.mjs): a fresh clone's `npm start` runs compiled JavaScript too.
import { ensureBuilt } from "./ensure-built.mjs";

try {
  await ensureBuilt();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
await import(new URL("../dist/src/cli.js", import.meta.url).href);
