import { HTTPResponse } from "h3";
import type { ServerContext } from "../context.ts";

/** The routes the app serves, by path then method: what discovery reports is what answers. */
export type ServedRoutes = Readonly<Record<string, Readonly<Partial<Record<string, unknown>>>>>;

/** Every endpoint discovery may list, under the original server's names. */
const knownEndpoints: readonly { name: string; method: string; path: string }[] = [
  { name: "health", method: "GET", path: "/health" },
  { name: "health_ready", method: "GET", path: "/health/ready" },
  { name: "health_detailed", method: "GET", path: "/health/detailed" },
  { name: "models", method: "GET", path: "/v1/models" },
  { name: "capabilities", method: "GET", path: "/v1/capabilities" },
  { name: "chat_completions", method: "POST", path: "/v1/chat/completions" },
  { name: "responses", method: "POST", path: "/v1/responses" },
  { name: "response", method: "GET", path: "/v1/responses/:id" },
  { name: "response_delete", method: "DELETE", path: "/v1/responses/:id" },
  { name: "response_input_items", method: "GET", path: "/v1/responses/:id/input_items" },
  { name: "conversations", method: "POST", path: "/v1/conversations" },
  { name: "conversation", method: "GET", path: "/v1/conversations/:conversation_id" },
  { name: "conversation_items", method: "GET", path: "/v1/conversations/:conversation_id/items" },
  { name: "conversation_item", method: "GET", path: "/v1/conversations/:conversation_id/items/:item_id" },
  { name: "runs", method: "POST", path: "/v1/runs" },
  { name: "run_status", method: "GET", path: "/v1/runs/:id" },
  { name: "run_events", method: "GET", path: "/v1/runs/:id/events" },
  { name: "run_stop", method: "POST", path: "/v1/runs/:id/stop" },
  { name: "run_approval", method: "POST", path: "/v1/runs/:id/approval" },
  { name: "sessions", method: "GET", path: "/api/sessions" },
  { name: "session_create", method: "POST", path: "/api/sessions" },
  { name: "session", method: "GET", path: "/api/sessions/:id" },
  { name: "session_update", method: "PATCH", path: "/api/sessions/:id" },
  { name: "session_delete", method: "DELETE", path: "/api/sessions/:id" },
  { name: "session_messages", method: "GET", path: "/api/sessions/:id/messages" },
  { name: "session_fork", method: "POST", path: "/api/sessions/:id/fork" },
  { name: "session_chat", method: "POST", path: "/api/sessions/:id/chat" },
  { name: "session_chat_stream", method: "POST", path: "/api/sessions/:id/chat/stream" },
  { name: "mcp", method: "POST", path: "/mcp" },
];

/**
 * `GET /v1/capabilities`: what this server can do, so that a client can check before it relies on a
 * feature (the original server added it after clients broke on upgrades). Built once: the features
 * and endpoints come from the route table itself, the tools from the loaded plugins.
 */
export function createCapabilitiesHandler(context: ServerContext, routes: () => ServedRoutes) {
  let body: string | undefined;
  return () => {
    body ??= JSON.stringify(describeCapabilities(context, routes()));
    return new HTTPResponse(body, { headers: { "content-type": "application/json; charset=utf-8" } });
  };
}

function describeCapabilities(context: ServerContext, routes: ServedRoutes) {
  const { config, registry, upstream } = context;
  const serves = (method: string, path: string) => routes[path]?.[method] !== undefined;
  const endpoints: Record<string, { method: string; path: string }> = {};
  for (const endpoint of knownEndpoints)
    if (serves(endpoint.method, endpoint.path)) endpoints[endpoint.name] = { method: endpoint.method, path: endpoint.path.replace(/:(\w+)/g, "{$1}") };
  const runs = serves("POST", "/v1/runs");
  // Tools a plugin lists while running (an MCP server's) are not in `tools` below, which is built once.
  const serverTools = registry.tools.size > 0 || registry.sources.length > 0;
  return {
    object: "hermes.api_server.capabilities",
    platform: "hermes-proxy",
    version: context.version,
    model: config.model.name,
    auth: { type: "bearer", required: Boolean(config.server.apiKey) },
    runtime: {
      mode: "gateway",
      tool_execution: serverTools ? "server_and_client" : "client",
      upstream: upstream.kind,
      description: "Server-side tools come from plugins and run on the proxy's host; client function tools are handed back to the client.",
    },
    features: {
      chat_completions: serves("POST", "/v1/chat/completions"),
      chat_completions_streaming: serves("POST", "/v1/chat/completions"),
      responses_api: serves("POST", "/v1/responses"),
      responses_streaming: serves("POST", "/v1/responses"),
      conversations_api: serves("POST", "/v1/conversations"),
      run_submission: runs,
      run_status: serves("GET", "/v1/runs/:id"),
      run_events_sse: serves("GET", "/v1/runs/:id/events"),
      run_events_replay: runs,
      run_stop: serves("POST", "/v1/runs/:id/stop"),
      run_approval_response: serves("POST", "/v1/runs/:id/approval"),
      runs_idempotency: { supported: runs, durable: context.storageKind !== "memory", retention_seconds: 300 },
      tool_progress_events: true,
      approval_events: runs,
      server_tools: serverTools,
      client_tools: true,
      session_resources: serves("GET", "/api/sessions"),
      session_chat: serves("POST", "/api/sessions/:id/chat"),
      session_chat_streaming: serves("POST", "/api/sessions/:id/chat/stream"),
      session_fork: serves("POST", "/api/sessions/:id/fork"),
      session_continuity_header: "X-Hermes-Session-Id",
      cors: config.server.cors.origins.length > 0,
      jobs_api: context.jobs !== undefined,
      mcp_server: serves("POST", "/mcp"),
    },
    limits: {
      max_concurrent_runs: config.agent.maxConcurrentRuns,
      max_iterations: config.agent.maxIterations,
      run_retention_seconds: Math.round(config.agent.runRetentionMs / 1000),
      tool_timeout_ms: config.agent.toolTimeoutMs,
      body_limit_bytes: config.server.bodyLimit,
    },
    endpoints,
    tools: [...registry.tools.values()].map(({ tool, plugin }) => ({
      name: tool.name,
      description: tool.description,
      plugin,
      ...(tool.emoji !== undefined && { emoji: tool.emoji }),
      needs_approval: tool.needsApproval === undefined || tool.needsApproval === false ? false : tool.needsApproval === true ? true : "depends_on_arguments",
      parameters: tool.jsonSchema,
    })),
    plugins: registry.plugins.map((plugin) => ({
      name: plugin.name,
      tools: plugin.tools.map((tool) => tool.name),
      hooks: Object.keys(plugin.hooks ?? {}),
      ...(plugin.listTools && { lists_tools: true }),
      ...(plugin.storage && { storage: plugin.storage.name }),
    })),
  };
}
