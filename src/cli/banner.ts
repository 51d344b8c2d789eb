import { maskUrl } from "../config/mask.ts";
import type { HermesConfig } from "../config/schema.ts";
import { listeningURL } from "../server/network-urls.ts";

export interface BannerInput {
  version: string;
  config: HermesConfig;
  /** From `createHermes`: `echo`, `chat`, `responses`, … */
  upstreamKind: string;
  /** What the socket is bound to; the port is the real one, also when 0 was asked for. */
  host: string;
  port: number;
  /** `https` when `server.tls` is set. @default "http" */
  protocol?: "http" | "https";
  /** Where other machines reach the server (its address, or every interface when listening on all addresses). */
  networkURLs?: readonly string[];
  /** The config file as shown to the user, or undefined when there was none. */
  source: string | undefined;
  /** From `createHermes`: where the state lives (a path, or a URL without credentials). */
  storage?: { description: string; source: "setting" | "plugin" | "default" };
  /** From `createHermes`: the metrics listener's URL when `metrics.port` is set. */
  metricsURL?: string | undefined;
}

/**
 * The startup lines. `Listening on http://HOST:PORT` (`https://` with TLS) is kept in that exact
 * form: scripts and tests read the port from it. Nothing here prints a secret: the upstream shows its origin only.
 */
export function bannerLines(input: BannerInput): string[] {
  const { config } = input;
  const lines = [`hermes-proxy ${input.version}`, `Listening on ${listeningURL(input.host, input.port, input.protocol)}`];
  for (const url of input.networkURLs ?? []) lines.push(`  network:  ${url}`);
  lines.push(
    `  upstream: ${describeUpstream(input.upstreamKind, config)}`,
    describeModels(config),
    `  storage:  ${describeStorage(input)}`,
    `  auth:     ${(config.server.apiKey ?? "").trim() === "" ? "off (no API key)" : "on (Bearer API key required)"}`,
    `  config:   ${input.source ?? "none (defaults and environment)"}`,
  );
  if (config.metrics.enabled)
    lines.splice(-1, 0, `  metrics:  ${input.metricsURL === undefined ? "GET /metrics on this port" : `${input.metricsURL}/metrics`}`);
  const tools = config.plugins.flatMap((plugin) => plugin.tools.map((tool) => tool.name));
  if (config.plugins.length > 0)
    lines.splice(-1, 0, `  plugins:  ${config.plugins.map((plugin) => plugin.name).join(", ")}${tools.length > 0 ? ` (tools: ${tools.join(", ")})` : ""}`);
  return lines;
}

function describeStorage({ storage, config }: BannerInput): string {
  if (storage === undefined) return config.storage === undefined ? "default" : maskUrl(config.storage);
  return storage.source === "default" ? `${storage.description} (default; set HERMES_STORAGE to change)` : storage.description;
}

/** The advertised models; with a `models` table, each with where it goes: `fast → groq:llama-3.1-8b-instant, then openai:gpt-4.1-mini`. */
function describeModels(config: HermesConfig): string {
  const routes = Object.entries(config.models);
  if (routes.length === 0) return `  model:    ${[config.model.name, ...config.model.aliases].join(", ")}`;
  const target = ({ upstream, model }: { upstream: string; model: string }) => `${upstream}:${model}`;
  const described = routes.map(([name, route]) => `${name} → ${[route, ...route.fallbacks].map(target).join(", then ")}`);
  return `  models:   ${described.join("\n            ")}`;
}

function describeUpstream(kind: string, config: HermesConfig): string {
  if (kind === "router") {
    const names = new Set(Object.values(config.models).flatMap((route) => [route.upstream, ...route.fallbacks.map((fallback) => fallback.upstream)]));
    const origins = [...names].map((name) => {
      const baseURL = Object.hasOwn(config.upstreams, name) ? config.upstreams[name]!.baseURL : config.upstream.baseURL;
      return `${name} (${baseURL === undefined ? "echo" : originOf(baseURL)})`;
    });
    return `router over ${origins.join(", ")}`;
  }
  if (kind === "echo") return "echo (embedded; set OPENAI_API_KEY or HERMES_UPSTREAM_URL for a real model)";
  const parts = [kind];
  if (config.upstream.baseURL !== undefined) parts.push(originOf(config.upstream.baseURL));
  if (config.upstream.model !== undefined) parts.push(`(model ${config.upstream.model})`);
  else if (config.upstream.defaultModel !== undefined) parts.push(`(${config.model.name} → ${config.upstream.defaultModel})`);
  return parts.join(" ");
}

/** Scheme, host and port only: no credentials, path or query. */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(unparseable URL)";
  }
}
