// The config `npm start` uses. Every field is optional: delete what you do not need. The environment
// and command-line flags override what is written here (flag > environment > this file > default),
// and `npm run check` prints the result with secrets masked.
import calculator from "hermes-proxy/plugins/tool-calculator";
import clock from "hermes-proxy/plugins/tool-clock";
import httpFetch from "hermes-proxy/plugins/tool-http-fetch";
import notes from "hermes-proxy/plugins/tool-notes";
import { defineConfig } from "hermes-proxy/sdk";

export default defineConfig({
  server: {
    port: 8642,
    // Loopback only. Any other address (0.0.0.0 to expose the proxy) requires a strong apiKey.
    host: "127.0.0.1",
    // Clients then send `Authorization: Bearer <key>`. Read a secret from the environment rather than
    // writing it here: HERMES_API_KEY sets it without touching this file.
    // apiKey: process.env.MY_PROXY_KEY,
    cors: {
      // Browser frontends that call the proxy directly, e.g. "http://localhost:3000"; "*" allows any.
      origins: [],
    },
  },

  // No baseURL: the embedded echo upstream answers, so the proxy works with nothing configured.
  // HERMES_UPSTREAM_URL / HERMES_UPSTREAM_KEY (or OPENAI_BASE_URL / OPENAI_API_KEY) point it at a real
  // model; OPENAI_API_KEY alone means https://api.openai.com/v1. Or set it here:
  // upstream: { baseURL: "http://127.0.0.1:11434/v1", model: "llama3.2", api: "chat" },

  // What /v1/models advertises and frontends show in their model picker.
  model: { name: "hermes-agent" },

  agent: {
    // systemPrompt: "You are a concise assistant.",
    maxIterations: 90,
    // One server tool call may take this long unless the tool sets its own limit.
    toolTimeoutMs: 60_000,
    // Runs API: live runs at once (one more is a 429), and how long a finished run stays readable.
    maxConcurrentRuns: 10,
    runRetentionMs: 60 * 60 * 1000,
  },

  // Server-side tools the model may call; the proxy runs them and feeds the results back. A plugin in
  // its own file or npm package is imported the same way. Falsy entries are skipped, so
  // `process.env.ENABLE_FETCH === "1" && httpFetch(...)` works.
  plugins: [
    clock({ defaultTimeZone: "UTC" }),
    calculator(),
    // Notes per conversation session, kept in the storage below.
    notes(),
    // Only the hosts listed here can be fetched, redirects included.
    httpFetch({ allow: ["example.com", "*.wikipedia.org"], maxBytes: 2_000_000, timeoutMs: 10_000 }),
    // Any MCP server's tools, named fs__read_file, …  (npm install @modelcontextprotocol/sdk; with
    // `import mcp from "./plugins/mcp/index.ts"` above; see docs/mcp.md):
    // mcp({ name: "fs", command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", "./docs"] }),
  ],

  // The tools above to MCP clients (Claude Desktop, Codex, …) at /mcp, behind the same key:
  // mcp: { serve: true },

  // Where state lives. Unset: files under ./.hermes (or $HERMES_HOME), kept across restarts. "memory"
  // forgets everything on restart; "sqlite:./state.db" keeps it in one file; "redis://127.0.0.1:6379/0"
  // lets several proxies share it and behave as one. HERMES_STORAGE overrides this line.
  // storage: "fs:.hermes",
});
