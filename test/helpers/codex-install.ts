/**
 * `node --import jiti/register test/helpers/codex-install.ts`: installs the Codex CLI the client tests
 * run into its cache folder (what `ensureCodex()` does on first use), so that `.ci/run` pays for the
 * download before the suite starts rather than inside a test's hook.
 */
import { CODEX_VERSION, ensureCodex } from "./codex.ts";

const started = Date.now();
const entry = await ensureCodex();
console.log(`@openai/codex@${CODEX_VERSION} ready at ${entry} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
