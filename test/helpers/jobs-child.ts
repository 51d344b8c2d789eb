/**
 * A proxy process for the jobs tests: the real `createHermes` on a loopback port, with the job
 * scheduler on a fake clock the parent moves over IPC. Started by `startJobsProcess` (jobs-processes.ts)
 * as `node --import jiti/register jobs-child.ts`; the config comes as JSON in `JOBS_CHILD_CONFIG`.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { hermesConfigSchema } from "../../src/config/schema.ts";
import { createHermes } from "../../src/index.ts";
import { FakeJobClock } from "./jobs-clock.ts";

type Command = { type: "advance"; id: number; ms: number } | { type: "close"; id: number };

const clock = new FakeJobClock(Number(process.env.JOBS_CHILD_CLOCK));
const config = hermesConfigSchema.parse(JSON.parse(process.env.JOBS_CHILD_CONFIG ?? "{}"));
const hermes = await createHermes(config, { jobClock: clock });
const server = createServer(hermes.handler);
server.on("clientError", hermes.onClientError);
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
process.stdout.write(`Listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);

process.on("message", async (command: Command) => {
  if (command.type === "advance") {
    await clock.advance(command.ms);
    process.send?.({ id: command.id });
    return;
  }
  await hermes.close();
  server.closeAllConnections();
  server.close();
  process.send?.({ id: command.id });
  process.disconnect();
});
