import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import httpFetch from "../../plugins/tool-http-fetch/index.ts";
import { htmlToText } from "../../plugins/tool-http-fetch/html-to-text.ts";
import { callTool, testTool } from "../../sdk/testing.ts";

const page = `<!doctype html><html><head><title>A &amp; B</title><style>p{color:red}</style><script>alert(1)</script></head>
<body><h1>Heading</h1><p>First   paragraph with <a href="/x">a link</a>.</p><ul><li>one</li><li>two</li></ul><!-- hidden --><p>Caf&eacute; &#x263A; &#9731;</p></body></html>`;

let server: Server;
let origin: string;
/** Requests the server received, per path: what the tool's retries sent. */
const hits = new Map<string, number>();

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = request.url ?? "/";
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path === "/flaky")
      return hits.get(path) === 1 ? response.writeHead(503).end("busy") : response.writeHead(200, { "content-type": "text/plain" }).end("second try");
    if (path === "/down") return response.writeHead(503, { "content-type": "text/plain" }).end("still down");
    if (path === "/latin1") return response.writeHead(200, { "content-type": "text/plain; charset=iso-8859-1" }).end(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    if (path === "/page") return response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page);
    if (path === "/json") return response.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    if (path === "/missing") return response.writeHead(404, { "content-type": "text/plain" }).end("no such page");
    if (path === "/image") return response.writeHead(200, { "content-type": "image/png" }).end(Buffer.alloc(10));
    if (path === "/big") return response.writeHead(200, { "content-type": "text/plain" }).end("x".repeat(50_000));
    if (path === "/redirect-home") return response.writeHead(302, { location: "/json" }).end();
    if (path === "/redirect-away") return response.writeHead(302, { location: "http://evil.example/steal" }).end();
    if (path === "/loop") return response.writeHead(302, { location: "/loop" }).end();
    if (path === "/hang") return; // never answers
    response.writeHead(500).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const tool = () => httpFetch({ allow: [new URL(origin).host], maxBytes: 10_000, maxChars: 5_000, timeoutMs: 300, maxRedirects: 3 }).tools[0]!;
const fetchJson = async (path: string, fetchTool = tool()) => {
  const result = await callTool(fetchTool, { url: `${origin}${path}` });
  return { ...result, body: result.isError ? undefined : JSON.parse(result.output) };
};

// The allow-list names the host without a port, so the tool exists before the server has one; the
// valid example reads the server's address when the suite runs.
testTool(httpFetch({ allow: ["127.0.0.1"], timeoutMs: 2_000 }).tools[0]!, {
  valid: [
    {
      get url() {
        return `${origin}/json`;
      },
    },
  ],
  invalid: [{}, { url: "not a url" }, { url: "ftp://example.com/file" }],
  check: ({ output }) => expect(JSON.parse(output)).toMatchObject({ status: 200, json: { ok: true } }),
});

describe("tool-http-fetch", () => {
  it("turns HTML into text and keeps the title", async () => {
    const { body } = await fetchJson("/page");
    expect(body).toMatchObject({ status: 200, content_type: "text/html", title: "A & B", truncated: false });
    expect(body.text).toBe("Heading\n\nFirst paragraph with a link.\n\n- one\n- two\n\nCafé ☺ ☃");
  });

  it("parses JSON by its content type, decodes text by its charset, and returns error pages as they are", async () => {
    expect((await fetchJson("/json")).body).toEqual({
      url: `${origin}/json`,
      status: 200,
      content_type: "application/json",
      json: { ok: true },
      truncated: false,
    });
    expect((await fetchJson("/latin1")).body).toMatchObject({ status: 200, text: "café" });
    hits.delete("/missing");
    expect((await fetchJson("/missing")).body).toMatchObject({ status: 404, text: "no such page" });
    // A 404 is an answer: asked once, not retried.
    expect(hits.get("/missing")).toBe(1);
  });

  it("retries a GET that failed with a 5xx, twice at most", async () => {
    // Room for two retries 250 ms apart within the deadline.
    const patient = httpFetch({ allow: [new URL(origin).host], timeoutMs: 3_000 }).tools[0]!;
    hits.delete("/flaky");
    expect((await fetchJson("/flaky", patient)).body).toMatchObject({ status: 200, text: "second try" });
    expect(hits.get("/flaky")).toBe(2);
    hits.delete("/down");
    expect((await fetchJson("/down", patient)).body).toMatchObject({ status: 503, text: "still down" });
    expect(hits.get("/down")).toBe(3);
  });

  it("refuses hosts off the allow-list, redirects included", async () => {
    expect((await callTool(tool(), { url: "http://example.com/" })).output).toMatch(
      /^Error from fetch_url: example\.com is not an allowed host; allowed: 127\.0\.0\.1:\d+$/,
    );
    expect((await fetchJson("/redirect-home")).body).toMatchObject({ url: `${origin}/json`, json: { ok: true } });
    expect((await fetchJson("/redirect-away")).output).toBe("Error from fetch_url: evil.example is not an allowed host; allowed: " + new URL(origin).host);
    expect((await fetchJson("/loop")).output).toBe("Error from fetch_url: More than 3 redirects");
  });

  it("keeps to its size and time limits, and refuses binary content", async () => {
    const big = (await fetchJson("/big")).body;
    expect(big.truncated).toBe(true);
    expect(big.text).toHaveLength(5_000);
    hits.delete("/hang");
    const started = Date.now();
    expect((await fetchJson("/hang")).output).toBe(`Error from fetch_url: Fetching ${new URL(origin).host} took longer than 300 ms`);
    // The deadline covers the retries: none is sent once it has passed.
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(hits.get("/hang")).toBe(1);
    expect((await fetchJson("/image")).output).toBe(`Error from fetch_url: ${origin}/image returned image/png, which is not text`);
  });

  it("requires an allow-list of hosts", () => {
    expect(() => httpFetch({ allow: [] })).toThrow(/options.allow must list the hosts/);
    expect(() => httpFetch(undefined as never)).toThrow(/options.allow must list the hosts/);
    expect(() => httpFetch({ allow: ["https://example.com/path"] })).toThrow(/is not a host/);
    const wildcard = httpFetch({ allow: ["*.example.com"] }).tools[0]!;
    expect(wildcard.description).toContain("*.example.com");
  });

  it("matches wildcard hosts on subdomains only", async () => {
    const wildcard = httpFetch({ allow: ["*.example.com"] }).tools[0]!;
    expect((await callTool(wildcard, { url: "http://example.com/" })).output).toContain("not an allowed host");
    expect((await callTool(wildcard, { url: "http://badexample.com/" })).output).toContain("not an allowed host");
  });

  it("strips markup without running anything", () => {
    expect(htmlToText("<div>a<br>b</div><table><tr><td>1</td><td>2</td></tr></table><p onclick='x()'>&lt;b&gt;</p>")).toBe("a\nb\n\n1 2\n\n<b>");
  });
});
