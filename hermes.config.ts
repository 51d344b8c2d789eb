// The config `npm start` uses. Every field is optional: delete what you do not need. The environment
// and command-line flags override what is written here (flag > environment > this file > default),
// and `npm run check` prints the result with secrets masked.
import { defineConfig } from "./sdk/index.ts";

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
  },

  // "memory" forgets stored responses on restart; "fs:.hermes" keeps them in ./.hermes.
  storage: "memory",
});
