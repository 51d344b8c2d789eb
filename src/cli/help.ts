/** The text of `hermes-proxy --help`. */
export function helpText(version: string): string {
  return `hermes-proxy ${version} — an OpenAI-compatible gateway

Usage:
  hermes-proxy [serve] [--port N] [--host H] [--config FILE]
  hermes-proxy check [--config FILE]

Commands:
  serve              start the proxy (the default)
  check              validate the configuration and print it as JSON, secrets masked

Options:
  -p, --port N       port to listen on; 0 picks a free one (default 8642)
      --host H       address to listen on (default 127.0.0.1); any non-loopback
                     address requires an API key of at least 16 characters
  -c, --config FILE  config file (default: hermes.config.ts, .mts, .js or .mjs
                     in the current directory)
  -h, --help         show this help
  -v, --version      print the version

Environment:
  HERMES_PORT, HERMES_HOST, HERMES_API_KEY, HERMES_CORS_ORIGINS (comma-separated),
  HERMES_MODEL_NAME, HERMES_STORAGE (memory | fs:<dir> | sqlite:<file> | redis://host:port/db),
  HERMES_HOME (the default data directory, else ./.hermes), HERMES_SYSTEM_PROMPT,
  HERMES_UPSTREAM_URL (else OPENAI_BASE_URL), HERMES_UPSTREAM_KEY (else OPENAI_API_KEY),
  HERMES_UPSTREAM_MODEL, HERMES_UPSTREAM_API (chat | responses),
  HERMES_TLS_CERT and HERMES_TLS_KEY (PEM file paths or text: serve HTTPS).
  The original server's API_SERVER_KEY, API_SERVER_PORT, API_SERVER_HOST,
  API_SERVER_CORS_ORIGINS and API_SERVER_MODEL_NAME are accepted too.

Precedence: flag > environment > config file > default (OPENAI_BASE_URL and
OPENAI_API_KEY only fill fields the config file leaves unset).
Without an upstream, an embedded echo model answers, so the proxy works at once.
`;
}
