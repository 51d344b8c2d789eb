import type { $Fetch, FetchError } from "ofetch";
import { definePlugin, defineTool, type HermesPlugin, z } from "../../sdk/index.ts";
import { htmlTitle, htmlToText } from "./html-to-text.ts";

export interface HttpFetchOptions {
  /**
   * Hosts the model may fetch from; required, there is no "anywhere". `example.com` allows that host,
   * `*.example.com` its subdomains, `127.0.0.1:8080` one port. Redirects are checked against it too.
   */
  allow: readonly string[];
  /** Bytes of a response body read at most; the rest is cut off. @default 2_000_000 */
  maxBytes?: number;
  /** Characters of text handed to the model at most. @default 20_000 */
  maxChars?: number;
  /** Time for the whole fetch, redirects included. @default 10_000 */
  timeoutMs?: number;
  /** Redirects followed at most. @default 5 */
  maxRedirects?: number;
  /** @default "hermes-proxy tool-http-fetch" */
  userAgent?: string;
}

const textTypes = /^(?:text\/|application\/(?:json|xml|xhtml\+xml|javascript|ld\+json|[\w.+-]+\+(?:json|xml))\b)/i;
const htmlTypes = /^(?:text\/html|application\/xhtml\+xml)\b/i;

/**
 * `tool-http-fetch`: lets the model read a web page or an API response, from allowed hosts only,
 * with limits on size and time; HTML comes back as text.
 *
 * @throws {TypeError} when `allow` is missing or empty, or holds something that is not a host.
 * @example
 * import httpFetch from "hermes-proxy/plugins/tool-http-fetch";
 * export default defineConfig({ plugins: [httpFetch({ allow: ["example.com", "*.wikipedia.org"] })] });
 */
export default function httpFetch(options: HttpFetchOptions): HermesPlugin {
  const allowed = parseAllowList(options?.allow);
  const maxBytes = options.maxBytes ?? 2_000_000;
  const maxChars = options.maxChars ?? 20_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxRedirects = options.maxRedirects ?? 5;
  const userAgent = options.userAgent ?? "hermes-proxy tool-http-fetch";

  // Responses whose body was cut at maxBytes, and those refused for a type that is not text.
  const truncated = new WeakSet<Response>();
  const refused = new WeakSet<Response>();
  // ofetch does the HTTP work: GET is idempotent, so a network error or a 408/425/429/5xx is retried
  // (twice, 250 ms apart) within the deadline; JSON bodies are parsed by their content type; redirects
  // are followed here, by hand, so that each hop is checked against the allow-list. Its `fetch` reads
  // at most maxBytes of a text body (decoded by its charset) and nothing of a binary one.
  // Imported on the first fetch rather than when the config loads: ofetch's Node entry brings
  // node-fetch-native, ~5 MiB of resident memory that a proxy whose model never fetches need not hold.
  let loading: Promise<{ fetcher: $Fetch; FetchError: typeof FetchError }> | undefined;
  const loadFetcher = () =>
    (loading ??= import("ofetch").then(({ ofetch, FetchError }) => ({
      FetchError,
      fetcher: ofetch.create(
        {
          method: "GET",
          redirect: "manual",
          retry: 2,
          retryDelay: 250,
          headers: { "user-agent": userAgent, accept: "text/html,application/json,text/plain;q=0.9,*/*;q=0.5" },
        },
        { fetch: limitedFetch(maxBytes, truncated, refused) },
      ),
    })));

  const fetchUrl = defineTool({
    name: "fetch_url",
    description: `Fetches a web page or API response by URL and returns its text (HTML is converted to plain text). Only these hosts are allowed: ${allowed.map((rule) => rule.pattern).join(", ")}.`,
    parameters: z.object({
      url: z
        .url({ protocol: /^https?$/ })
        .max(2048)
        .describe("An http:// or https:// URL on an allowed host"),
    }),
    emoji: "🌐",
    label: ({ url }) => `Fetching ${safeHost(url)}`,
    // Its own limit plus a margin, so that the fetch's own timeout is what the model hears about.
    timeoutMs: timeoutMs + 1_000,
    async execute({ url }, { signal }) {
      // ofetch's own `timeout` applies only when no signal is given (ofetch 1.5), and the run's signal
      // must cancel the fetch too: one deadline for the whole fetch, redirects and retries included.
      const deadline = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
      const { fetcher, FetchError } = await loadFetcher();
      let current = new URL(url);
      for (let hop = 0; ; hop++) {
        assertAllowed(current, allowed);
        const response = await fetcher.raw<unknown>(current.href, { signal: deadline }).catch((error: unknown) => {
          if (deadline.aborted && !signal.aborted) throw new Error(`Fetching ${current.host} took longer than ${timeoutMs} ms`);
          // A 4xx or 5xx (after its retries) is an answer the model may want to read, not a failure.
          if (error instanceof FetchError && error.response !== undefined) return error.response;
          throw error;
        });
        const location = response.headers.get("location");
        if (response.status >= 300 && response.status < 400 && location) {
          if (hop >= maxRedirects) throw new Error(`More than ${maxRedirects} redirects`);
          current = new URL(location, current);
          continue;
        }
        const contentType = response.headers.get("content-type") ?? "";
        if (refused.has(response)) throw new Error(`${current.href} returned ${contentType.split(";")[0]}, which is not text`);
        const cutBytes = truncated.has(response);
        const data = response._data;
        // ofetch parsed a JSON body (by its content type) into a value; a body cut short stays text.
        if (data !== undefined && data !== null && typeof data !== "string") {
          return { url: current.href, status: response.status, content_type: contentType.split(";")[0] || null, json: data, truncated: cutBytes };
        }
        const raw = typeof data === "string" ? data : "";
        const html = htmlTypes.test(contentType) || (contentType === "" && /^\s*<(?:!doctype|html)/i.test(raw));
        const text = html ? htmlToText(raw) : raw;
        const title = html ? htmlTitle(raw) : undefined;
        return {
          url: current.href,
          status: response.status,
          content_type: contentType.split(";")[0] || null,
          ...(title !== undefined && { title }),
          text: text.length > maxChars ? text.slice(0, maxChars) : text,
          truncated: cutBytes || text.length > maxChars,
        };
      }
    },
  });
  return definePlugin({ name: "tool-http-fetch", tools: [fetchUrl] });
}

interface AllowRule {
  pattern: string;
  matches(url: URL): boolean;
}

function parseAllowList(allow: readonly string[] | undefined): AllowRule[] {
  if (!Array.isArray(allow) || allow.length === 0)
    throw new TypeError('tool-http-fetch: options.allow must list the hosts the model may fetch, e.g. { allow: ["example.com"] }');
  return allow.map((entry) => {
    const pattern = typeof entry === "string" ? entry.trim().toLowerCase() : "";
    if (!/^(?:\*\.)?[a-z0-9.-]+(?::\d{1,5})?$|^\[[0-9a-f:.]+\](?::\d{1,5})?$/.test(pattern))
      throw new TypeError(`tool-http-fetch: ${JSON.stringify(entry)} in options.allow is not a host (write "example.com", "*.example.com" or "host:port")`);
    const withPort = /:\d+$/.test(pattern) && !pattern.endsWith("]");
    const wildcard = pattern.startsWith("*.");
    const host = wildcard ? pattern.slice(1) : pattern;
    return {
      pattern,
      matches: (url: URL) => {
        const actual = withPort ? url.host : url.hostname;
        return wildcard ? actual.endsWith(host) && actual.length > host.length : actual === host;
      },
    };
  });
}

function assertAllowed(url: URL, allowed: readonly AllowRule[]): void {
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`Only http and https URLs can be fetched, not ${url.protocol}`);
  if (url.username || url.password) throw new Error("URLs with credentials are not fetched");
  if (!allowed.some((rule) => rule.matches(url)))
    throw new Error(`${url.host} is not an allowed host; allowed: ${allowed.map((rule) => rule.pattern).join(", ")}`);
}

/**
 * The `fetch` ofetch calls: a text body is read up to `maxBytes` (then the download stops) and handed
 * on decoded by its charset; a body of another type is not downloaded at all.
 */
function limitedFetch(maxBytes: number, truncated: WeakSet<Response>, refused: WeakSet<Response>): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const contentType = response.headers.get("content-type") ?? "";
    const meta = { status: response.status, statusText: response.statusText, headers: response.headers };
    if (response.body === null || nullBodyStatuses.has(response.status)) return response;
    if (contentType !== "" && !textTypes.test(contentType)) {
      await response.body.cancel();
      const empty = new Response(null, meta);
      refused.add(empty);
      return empty;
    }
    const { text, cut } = await readLimited(response.body, maxBytes, charsetOf(contentType));
    const limited = new Response(text, meta);
    if (cut) truncated.add(limited);
    return limited;
  };
}

const nullBodyStatuses = new Set([101, 204, 205, 304]);

/** Reads at most `maxBytes` of the body, then stops reading: a huge response costs no more than that. */
async function readLimited(body: ReadableStream<Uint8Array>, maxBytes: number, charset: string): Promise<{ text: string; cut: boolean }> {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  let cut = false;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (bytes + value.byteLength > maxBytes) {
      chunks.push(value.subarray(0, maxBytes - bytes));
      cut = true;
      await reader.cancel();
      break;
    }
    chunks.push(value);
    bytes += value.byteLength;
  }
  const decoder = decoderFor(charset);
  let text = "";
  for (const chunk of chunks) text += decoder.decode(chunk, { stream: true });
  return { text: text + decoder.decode(), cut };
}

function charsetOf(contentType: string): string {
  return /charset="?([\w-]+)"?/i.exec(contentType)?.[1] ?? "utf-8";
}

function decoderFor(charset: string): TextDecoder {
  try {
    return new TextDecoder(charset);
  } catch {
    return new TextDecoder("utf-8");
  }
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
