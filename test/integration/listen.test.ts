import { createServer, type Server } from "node:net";
import { Client } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hermesConfigSchema } from "../../src/config/schema.ts";
import { createHermes, type Hermes, ListenError } from "../../src/index.ts";
import { networkURLs } from "../../src/server/network-urls.ts";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";

/** `createHermes().listen()`: h3's `serve()` (srvx) with the proxy's refusals and its graceful close. */
describe("hermes.listen()", () => {
  let upstream: FakeUpstream;
  let hermes: Hermes;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    hermes = await createHermes(hermesConfigSchema.parse({ storage: "memory", upstream: { baseURL: upstream.url, model: "fake-model" } }));
  });
  afterAll(async () => {
    await hermes.close();
    await upstream.close();
  });

  it("refuses a host that cannot be an address, in one line", async () => {
    await expect(hermes.listen({ port: 0, host: "-not a host" })).rejects.toThrow(
      new ListenError('"-not a host" is not a valid host name or IP address to listen on'),
    );
  });

  it("refuses a port in use, in one line", async () => {
    const blocker: Server = createServer();
    const port = await new Promise<number>((resolve) => blocker.listen(0, "127.0.0.1", () => resolve((blocker.address() as { port: number }).port)));
    try {
      await expect(hermes.listen({ port, host: "127.0.0.1" })).rejects.toThrow(new ListenError(`port ${port} on 127.0.0.1 is already in use`));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("shows network URLs only for addresses other machines reach", async () => {
    const listener = await hermes.listen({ port: 0, host: "127.0.0.1" });
    expect(listener.networkURLs()).toEqual([]);
    await listener.close();
    expect(networkURLs("::1", 8642)).toEqual([]);
    expect(networkURLs("192.0.2.10", 8642, "https")).toEqual(["https://192.0.2.10:8642/"]);
    expect(networkURLs("fd00::1", 8642)).toEqual(["http://[fd00::1]:8642/"]);
    for (const url of networkURLs("0.0.0.0", 8642)) expect(url).toMatch(/^http:\/\/\d+\.\d+\.\d+\.\d+:8642\/$/);
  });

  it("close() stops listening, ends an idle keep-alive connection at once and a busy one after its response", async () => {
    const listener = await hermes.listen({ port: 0, host: "127.0.0.1" });
    const idle = new Client(listener.url);
    const busy = new Client(listener.url);
    try {
      await (await idle.request({ path: "/health", method: "GET" })).body.dump();
      const idleClosed = new Promise<number>((resolve) => idle.once("disconnect", () => resolve(Date.now())));
      const busyClosed = new Promise<number>((resolve) => busy.once("disconnect", () => resolve(Date.now())));

      upstream.enqueue({ text: "one two three four five six", delayMs: 80 });
      const response = await busy.request({
        path: "/v1/chat/completions",
        method: "POST",
        body: JSON.stringify({ model: "m", stream: true, messages: [{ role: "user", content: "x" }] }),
      });
      const body = response.body.text().then((text) => ({ text, at: Date.now() }));

      const closeStarted = Date.now();
      const closed = listener.close();
      expect((await idleClosed) - closeStarted).toBeLessThan(250);
      await expect(fetch(`${listener.url}/health`)).rejects.toThrow();

      const { text, at } = await body;
      expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
      expect(text).toContain('"finish_reason":"stop"');
      await closed;
      // Closed by the server as its response ended, not by the keep-alive timeout seconds later.
      const busyClosedAt = await busyClosed;
      expect(busyClosedAt).toBeGreaterThanOrEqual(at - 5);
      expect(Date.now() - at).toBeLessThan(1_000);
    } finally {
      await idle.close();
      await busy.close();
    }
  });
});
