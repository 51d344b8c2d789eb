#!/usr/bin/env node
// A git checkout runs the TypeScript sources through jiti, so `npm start` works on a fresh clone
// without a build step; the published package (no src/) runs the compiled CLI.
import { existsSync } from "node:fs";

const sources = new URL("../src/cli.ts", import.meta.url);
if (existsSync(sources)) {
  const { createJiti } = await import("jiti");
  await createJiti(import.meta.url).import(sources.href);
} else {
  await import(new URL("../dist/src/cli.js", import.meta.url).href);
}
