/**
 * A second reference, for Chat non-stream scenarios: the layers hermes is built on and nothing of
 * hermes. h3 on srvx (as `serve()` runs it) reads the client's JSON, undici's `Pool` sends it upstream,
 * and the upstream's JSON answer is parsed and serialised again. What hermes costs beyond this is its
 * own work (validation, the event protocol, the agent loop, sessions, the request log), not its stack.
 * Started like the hermes CLI, so that the bench can measure it as a variant:
 *   npm run bench -- --only chat-json-50 --variant minimal=bench/minimal-proxy.mjs
 * (plain JavaScript: a variant runs under `node` without jiti).
 */
import { parseArgs } from "node:util";
import { H3, serve } from "h3";
import { FastResponse } from "srvx";
import { Pool } from "undici";

const { values } = parseArgs({ options: { port: { type: "string" }, host: { type: "string", default: "127.0.0.1" } }, strict: false });
const upstream = new URL(process.env.HERMES_UPSTREAM_URL ?? "http://127.0.0.1:1/v1");
const pool = new Pool(upstream.origin);
const basePath = upstream.pathname.replace(/\/+$/, "");
const jsonHeaders = { "content-type": "application/json" };

const app = new H3();
app.get("/health", () => ({ status: "ok" }));
app.post("/v1/chat/completions", async (event) => {
  const request = await event.req.json();
  const { statusCode, body } = await pool.request({
    method: "POST",
    path: `${basePath}/chat/completions`,
    headers: jsonHeaders,
    body: JSON.stringify(request),
  });
  return new FastResponse(JSON.stringify(await body.json()), { status: statusCode, headers: jsonHeaders });
});
serve(app, { port: Number(values.port), hostname: String(values.host), silent: true });
process.on("SIGTERM", () => process.exit(0));
