import { type EventHandler, H3, type H3Event } from "h3";
import { HermesError } from "../protocol/index.ts";
import type { ServerContext } from "./context.ts";
import { errorResponse } from "./errors.ts";
import { apiKeyRequiredMiddleware } from "./middleware/api-key-required.ts";
import { createAuthMiddleware } from "./middleware/auth.ts";
import { createCorsMiddleware } from "./middleware/cors.ts";
import { createRequestObserver } from "./middleware/request-observer.ts";
import { securityHeadersMiddleware } from "./middleware/security-headers.ts";
import { createCapabilitiesHandler } from "./routes/capabilities.ts";
import { createChatCompletionsHandler } from "./routes/chat-completions.ts";
import { createConversationsHandlers } from "./routes/conversations/handlers.ts";
import { createDetailedHealthHandler, createHealthHandler, createReadyHandler } from "./routes/health.ts";
import { createJobsHandlers } from "./routes/jobs/handlers.ts";
import { createMetricsHandler } from "./routes/metrics.ts";
import { createModelsHandler } from "./routes/models.ts";
import { createMcpHandler } from "./mcp/handler.ts";
import { createToolsetsHandler } from "./routes/toolsets.ts";
import { createResponsesHandler } from "./routes/responses/create.ts";
import { createForwardedResponsesHandler } from "./routes/responses/forward.ts";
import { createSessionsHandlers } from "./routes/sessions/handlers.ts";
import { createCancelResponseHandler, createDeleteResponseHandler, createInputItemsHandler, createRetrieveResponseHandler } from "./routes/responses/read.ts";
import { createRunApprovalHandler, createRunEventsHandler, createRunStatusHandler, createStartRunHandler, createStopRunHandler } from "./routes/runs.ts";

type Method = "GET" | "POST" | "DELETE" | "PATCH";
type RouteTable = Record<string, Partial<Record<Method, EventHandler>>>;

/** The h3 app: middleware in the order a request meets it, then one entry per path with its methods. */
export function createApp(context: ServerContext): H3 {
  const { config, lifecycle } = context;
  const app = new H3({ silent: true, onError: (error, event) => errorResponse(error, event) });

  // First, so that every answer carries X-Request-Id and is counted, refusals included.
  app.use(createRequestObserver({ tracker: context.observability?.tracker, requestContext: context.observability?.requestContext }));
  app.use(async (_event, next) => {
    lifecycle.requestStarted();
    try {
      return await next();
    } finally {
      lifecycle.requestFinished();
    }
  });
  app.use(securityHeadersMiddleware);
  app.use(createCorsMiddleware(config.server.cors.origins));
  app.use((event: H3Event) => {
    // The probes answer for themselves: liveness stays 200, readiness says `draining` with its 503.
    if (lifecycle.draining && !event.url.pathname.endsWith("/health") && event.url.pathname !== "/health/ready")
      throw new HermesError("The server is shutting down; retry shortly", {
        status: 503,
        code: "server_draining",
        // Closed after the answer: a keep-alive client retries on a fresh connection, elsewhere.
        headers: { "retry-after": "1", connection: "close" },
      });
  });
  const auth = createAuthMiddleware(config.server.apiKey);
  if (auth) app.use(auth);
  else app.use(apiKeyRequiredMiddleware);

  const health = createHealthHandler(context);
  const stopRun = createStopRunHandler(context);
  const sessions = createSessionsHandlers(context);
  const jobs = createJobsHandlers(context);
  const conversations = createConversationsHandlers(context);
  const routes: RouteTable = {
    "/health": { GET: health },
    "/v1/health": { GET: health },
    "/health/ready": { GET: createReadyHandler(context) },
    "/health/detailed": { GET: createDetailedHealthHandler(context) },
    "/v1/models": { GET: createModelsHandler(context) },
    "/v1/chat/completions": { POST: createChatCompletionsHandler(context) },
    "/v1/responses": { POST: createResponsesHandler(context) },
    // Before `:id`, whose 405 would otherwise answer them.
    "/v1/responses/input_tokens": { POST: createForwardedResponsesHandler(context, "/responses/input_tokens") },
    "/v1/responses/compact": { POST: createForwardedResponsesHandler(context, "/responses/compact") },
    "/v1/responses/:id": { GET: createRetrieveResponseHandler(context), DELETE: createDeleteResponseHandler(context) },
    "/v1/responses/:id/input_items": { GET: createInputItemsHandler(context) },
    "/v1/responses/:id/cancel": { POST: createCancelResponseHandler(context) },
    "/v1/conversations": { POST: conversations.create },
    "/v1/conversations/:conversation_id": { GET: conversations.get, POST: conversations.update, DELETE: conversations.remove },
    "/v1/conversations/:conversation_id/items": { GET: conversations.listItems, POST: conversations.addItems },
    "/v1/conversations/:conversation_id/items/:item_id": { GET: conversations.getItem, DELETE: conversations.removeItem },
    "/v1/runs": { POST: createStartRunHandler(context) },
    "/v1/runs/:id": { GET: createRunStatusHandler(context) },
    "/v1/runs/:id/events": { GET: createRunEventsHandler(context) },
    "/v1/runs/:id/stop": { POST: stopRun },
    "/v1/runs/:id/cancel": { POST: stopRun },
    "/v1/runs/:id/approval": { POST: createRunApprovalHandler(context) },
    "/v1/capabilities": { GET: createCapabilitiesHandler(context, () => routes) },
    "/v1/toolsets": { GET: createToolsetsHandler(context) },
    "/api/sessions": { GET: sessions.list, POST: sessions.create },
    "/api/sessions/:id": { GET: sessions.get, PATCH: sessions.patch, DELETE: sessions.remove },
    "/api/sessions/:id/messages": { GET: sessions.messages },
    "/api/sessions/:id/fork": { POST: sessions.fork },
    "/api/sessions/:id/chat": { POST: sessions.chat },
    "/api/sessions/:id/chat/stream": { POST: sessions.chatStream },
    "/api/jobs": { GET: jobs.list, POST: jobs.create },
    "/api/jobs/:id": { GET: jobs.get, PATCH: jobs.patch, DELETE: jobs.remove },
    "/api/jobs/:id/pause": { POST: jobs.pause },
    "/api/jobs/:id/resume": { POST: jobs.resume },
    "/api/jobs/:id/run": { POST: jobs.run },
    "/api/jobs/:id/runs": { GET: jobs.runs },
  };
  if (context.mcpSdk) {
    const mcp = createMcpHandler(context, context.mcpSdk);
    routes["/mcp"] = { POST: mcp, GET: mcp, DELETE: mcp };
  }
  const metrics = context.observability?.metrics;
  if (metrics && config.metrics.port === undefined) routes["/metrics"] = { GET: createMetricsHandler(metrics) };
  for (const [path, methods] of Object.entries(routes)) app.all(path, byMethod(methods));
  return app;
}

/** One handler per method; any other method is a 405 that names the allowed ones. */
function byMethod(methods: Partial<Record<Method, EventHandler>>): EventHandler {
  const allow = Object.keys(methods).join(", ");
  return (event) => {
    const handler = methods[event.req.method as Method];
    if (handler) return handler(event);
    throw new HermesError(`Method ${event.req.method} is not allowed on ${event.url.pathname}; use ${allow}`, {
      status: 405,
      code: "method_not_allowed",
      headers: { allow },
    });
  };
}
