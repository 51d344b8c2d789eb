/**
 * Micro-benchmark of the session store under one busy session: `--clients` clients each record a turn
 * on the same session and the next one as soon as the previous is stored (as many clients whose
 * conversations open alike share one derived session). Prints CPU µs per turn and turns per second,
 * for three rounds. Run from the repository root:
 *   node --import jiti/register bench/session-writes.ts [--storage memory|fs:DIR|sqlite:FILE|redis://…] [--clients 50] [--turns 10000] [--kind head|replace]
 * `head` is a stored Responses turn (metadata only), `replace` a Chat turn (metadata and messages).
 * A Redis database is written under a fresh key prefix and left behind; point it at one you can flush.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { hermesConfigSchema } from "../src/config/schema.ts";
import type { Item } from "../src/protocol/index.ts";
import { openStorage } from "../src/state/open-storage.ts";
import { storageFromSpec } from "../src/state/select-storage.ts";
import { createStores } from "../src/state/stores.ts";

const { values } = parseArgs({
  options: {
    storage: { type: "string", default: "memory" },
    clients: { type: "string", default: "50" },
    turns: { type: "string", default: "10000" },
    kind: { type: "string", default: "head" },
  },
});
const clients = Number(values.clients);
const turns = Number(values.turns);

const message = (role: "user" | "assistant", text: string): Item => ({
  type: "message",
  role,
  content: [{ type: role === "user" ? "input_text" : "output_text", text }],
});
const chain = [
  message("user", "What is the capital of France, and roughly how many people live there?"),
  message("assistant", "Paris is the capital of France; about 2.1 million people live in the city."),
  message("user", "And which river runs through it?"),
  message("assistant", "The Seine."),
];
const usage = { inputTokens: 42, outputTokens: 48, totalTokens: 90 };

const opened = await openStorage(
  await storageFromSpec(values.storage.startsWith("redis") ? `${values.storage}?prefix=bench-${randomUUID().slice(0, 8)}` : values.storage),
);
const { sessions } = createStores(opened.storage, opened.coordination, hermesConfigSchema.parse({}));
const session = `bench-${randomUUID()}`;

for (let round = 1; round <= 3; round++) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  let recorded = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (recorded < turns) {
        recorded++;
        const messages = values.kind === "replace" ? { replace: chain } : { head: `resp_${round}_${recorded}`, chain };
        await sessions.recordTurn(session, { source: values.kind === "replace" ? "chat" : "responses", model: "bench", usage, messages });
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `round ${round}: ${values.storage}, ${clients} clients, ${values.kind}: ${((used.user + used.system) / recorded).toFixed(1)} µs CPU per turn, ${Math.round(recorded / seconds)} turns/s`,
  );
}
await opened.close();
