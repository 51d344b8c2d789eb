/**
 * What one request creates inside hermes: promises and other async resources per request, counted with
 * an `async_hooks` init hook over many sequential requests through an in-process server (memory
 * storage, the request log on and written nowhere, the bench's fake upstream in a child process). A
 * count does not move with the machine's noise, as CPU figures do; each promise is an allocation and a
 * microtask, so fewer is cheaper.
 *
 *   node --import jiti/register bench/request-promises.ts [--api chat|responses] [--model bench-json] [--stream] [--requests 200] [--sites 30]
 *
 * `--sites N` also lists the N places that create the most promises: our innermost frame on the
 * stack, and the frame that made the promise when it is not ours (`complete … <= agentLoop.next`).
 * The client sends with callbacks; what it creates is counted too: one `new Promise`, one
 * `HTTPCLIENTREQUEST` and one `TCPWRAP` per request (its keep-alive agent re-arming the reused socket,
 * not a new connection).
 */
import { createHook } from "node:async_hooks";
import http from "node:http";
import { parseArgs } from "node:util";
import { createHermes, hermesConfigSchema } from "../src/index.ts";
import { startFakeUpstream } from "./upstream-child.ts";

const { values } = parseArgs({
  options: {
    api: { type: "string", default: "chat" },
    model: { type: "string", default: "bench-json" },
    stream: { type: "boolean", default: false },
    requests: { type: "string", default: "200" },
    sites: { type: "string", default: "0" },
  },
});
const requests = Number(values.requests);
const content = "Hello there, how are you?";
const [path, body] =
  values.api === "responses"
    ? ["/v1/responses", { model: values.model, input: content, stream: values.stream, store: false }]
    : ["/v1/chat/completions", { model: values.model, messages: [{ role: "user", content }], stream: values.stream }];
const payload = JSON.stringify(body);

const upstream = await startFakeUpstream();
const hermes = await createHermes(hermesConfigSchema.parse({ upstream: { baseURL: upstream.url }, storage: "memory" }), { writeLog: () => {} });
const server = http.createServer(hermes.handler);
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const { port } = server.address() as { port: number };
const agent = new http.Agent({ keepAlive: true });

const send = () =>
  new Promise<void>((resolve, reject) => {
    const request = http.request({ port, host: "127.0.0.1", method: "POST", path, agent, headers: { "content-type": "application/json" } }, (response) => {
      if (response.statusCode !== 200) reject(new Error(`${path} answered ${response.statusCode}`));
      response.resume();
      response.on("end", resolve);
    });
    request.on("error", reject);
    request.end(payload);
  });

/** The stack of a resource being created, without the hook's own frames. */
function siteOf(stack: string): string {
  const frames = stack
    .split("\n")
    .slice(2)
    .map((frame) => frame.trim().replace(/^at /, ""))
    .filter((frame) => !frame.includes("node:internal/async_hooks"));
  const innermost = frames[0] ?? "?";
  const ours = frames.find((frame) => frame.includes("/src/")) ?? innermost;
  const short = (frame: string) => frame.replace(/\(?file:\/\/|\(?\/[^ ]*\/(?=src\/)/g, "").replace(/\)$/, "");
  return ours === innermost ? short(ours) : `${short(ours)} <= ${short(innermost)}`;
}

for (let index = 0; index < requests; index++) await send();
const types = new Map<string, number>();
const sites = new Map<string, number>();
const listSites = Number(values.sites) > 0;
const hook = createHook({
  init(_id, type) {
    types.set(type, (types.get(type) ?? 0) + 1);
    if (listSites && type === "PROMISE") {
      const site = siteOf(new Error().stack ?? "");
      sites.set(site, (sites.get(site) ?? 0) + 1);
    }
  },
});
hook.enable();
for (let index = 0; index < requests; index++) await send();
hook.disable();

const perRequest = (count: number) => (count / requests).toFixed(1).padStart(6);
console.log(`${values.api}${values.stream ? " stream" : ""} (${values.model}), per request over ${requests}:`);
for (const [type, count] of [...types].sort((a, b) => b[1] - a[1])) console.log(`${perRequest(count)}  ${type}`);
if (listSites) {
  console.log("\npromises by site:");
  for (const [site, count] of [...sites].sort((a, b) => b[1] - a[1]).slice(0, Number(values.sites))) console.log(`${perRequest(count)}  ${site}`);
}

server.close();
agent.destroy();
await hermes.close();
upstream.stop();
