import { ensureBuilt } from "../../bin/ensure-built.mjs";

/**
 * Tests spawn the CLI (`bin/hermes-proxy.mjs`), which runs dist/: built here once, before any test,
 * rather than by the first spawned process inside a test's time limit.
 */
export default async function setup(): Promise<void> {
  await ensureBuilt();
}
