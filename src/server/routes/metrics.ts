import { HTTPResponse } from "h3";
import type { HermesMetrics } from "../../observability/metrics/metrics.ts";

/** `GET /metrics`: the Prometheus text exposition, behind the API key like every route but health. */
export function createMetricsHandler(metrics: HermesMetrics) {
  return async () => new HTTPResponse(await metrics.render(), { headers: { "content-type": metrics.contentType } });
}
