import { Agent, request } from "node:http";

/**
 * A node:http client for what a load generator cannot tell: time to the first body byte of every
 * response, and whether each answer is right. Runs `concurrency` requests at a time, for a duration
 * or a fixed total.
 */

export interface ClientOptions {
  url: string;
  body: string;
  concurrency: number;
  /** Stop starting new requests after this long. */
  durationMs?: number;
  /** Or after this many requests in all. */
  total?: number;
  /** Sent with every request besides the JSON content type (a peer's routing headers). */
  headers?: Record<string, string> | undefined;
  /** Returns a reason when a response body is wrong; not called when absent. */
  check?: (text: string) => string | undefined;
}

export interface ClientResult {
  completed: number;
  failed: number;
  /** Time to the first body byte, per completed request, in ms. */
  ttfbMs: number[];
  /** Time to the last byte, per completed request, in ms. */
  totalMs: number[];
  wallMs: number;
  /** The first few failure reasons. */
  failures: string[];
}

export async function runClients(options: ClientOptions): Promise<ClientResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const result: ClientResult = { completed: 0, failed: 0, ttfbMs: [], totalMs: [], wallMs: 0, failures: [] };
  const started = performance.now();
  const stopAt = options.durationMs === undefined ? Number.POSITIVE_INFINITY : started + options.durationMs;
  let remaining = options.total ?? Number.POSITIVE_INFINITY;
  const payload = Buffer.from(options.body);

  const fail = (reason: string) => {
    result.failed++;
    if (result.failures.length < 5) result.failures.push(reason);
  };

  const one = () =>
    new Promise<void>((resolve) => {
      const begin = performance.now();
      const req = request(options.url, {
        method: "POST",
        agent,
        headers: { ...options.headers, "content-type": "application/json", "content-length": payload.byteLength },
      });
      req.setTimeout(30_000, () => req.destroy(new Error("timed out after 30 s")));
      req.on("error", (error) => {
        fail(error.message);
        resolve();
      });
      req.on("response", (response) => {
        let first = 0;
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          if (first === 0) first = performance.now();
          text += chunk;
        });
        response.on("error", (error) => {
          fail(error.message);
          resolve();
        });
        response.on("end", () => {
          const end = performance.now();
          const reason = response.statusCode !== 200 ? `HTTP ${response.statusCode}: ${text.slice(0, 200)}` : options.check?.(text);
          if (reason) fail(reason);
          else {
            result.completed++;
            result.ttfbMs.push(first - begin);
            result.totalMs.push(end - begin);
          }
          resolve();
        });
      });
      req.end(payload);
    });

  const worker = async () => {
    while (remaining > 0 && performance.now() < stopAt) {
      remaining--;
      await one();
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  result.wallMs = performance.now() - started;
  agent.destroy();
  return result;
}

/** The `p`th percentile (0-100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
