import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { hermesConfigSchema } from "../../src/config/schema.ts";
import { createHermes } from "../../src/index.ts";
import { binPath, runCli, startCli, type RunningCli } from "../helpers/cli.ts";
import { sseJson } from "../helpers/sse.ts";

/**
 * `server.tls`: the listener speaks HTTPS with a test certificate (test/fixtures/tls), the banner
 * says https, `check` never prints the key, and a file that cannot be used is one line and exit 1.
 */

/**
 * A self-signed certificate for 127.0.0.1 and localhost (valid for 100 years), and its key, copied as
 * files into `dir`. Committed in test/fixtures/tls rather than made with openssl per run, so the suite
 * needs nothing installed and never skips. Test keys only: they protect nothing.
 */
function makeCertificate(dir: string, name: "server" | "other"): { certPath: string; keyPath: string; cert: string; key: string } {
  const fixture = (file: string) => readFileSync(new URL(`../fixtures/tls/${name}-${file}.pem`, import.meta.url), "utf8");
  const cert = fixture("cert");
  const key = fixture("key");
  const certPath = join(dir, `${name}-cert.pem`);
  const keyPath = join(dir, `${name}-key.pem`);
  writeFileSync(certPath, cert);
  writeFileSync(keyPath, key);
  return { certPath, keyPath, cert, key };
}

const chatBody = (content: string, stream = false) => JSON.stringify({ model: "hermes-agent", stream, messages: [{ role: "user", content }] });

describe("server.tls: HTTPS on the listener", () => {
  let dir: string;
  let pair: ReturnType<typeof makeCertificate>;
  let other: ReturnType<typeof makeCertificate>;
  /** Trusts only this run's certificate: the request proves the proxy served exactly it. */
  let trusting: Agent;
  const running: RunningCli[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "hermes-tls-"));
    pair = makeCertificate(dir, "server");
    other = makeCertificate(dir, "other");
    trusting = new Agent({ connect: { ca: pair.cert } });
  });
  afterEach(() => {
    for (const cli of running.splice(0)) if (cli.child.exitCode === null) cli.child.kill("SIGKILL");
  });
  afterAll(async () => {
    await trusting.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("the command serves /health and chat completions over HTTPS from certificate files, and exits 0 on SIGTERM", async () => {
    await writeFile(
      join(dir, "hermes.config.ts"),
      `export default { storage: "memory", server: { tls: { cert: "server-cert.pem", key: "server-key.pem" } } };\n`,
    );
    const cli = await startCli(process.execPath, [binPath, "--port", "0"], { cwd: dir });
    running.push(cli);
    expect(cli.url).toBe(`https://127.0.0.1:${cli.port}`);

    const health = await request(`${cli.url}/health`, { dispatcher: trusting });
    expect(health.statusCode).toBe(200);
    expect(await health.body.json()).toMatchObject({ status: "ok" });

    const completion = await request(`${cli.url}/v1/chat/completions`, { method: "POST", body: chatBody("over tls"), dispatcher: trusting });
    expect(completion.statusCode).toBe(200);
    expect(((await completion.body.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe("over tls");

    const streamed = await request(`${cli.url}/v1/chat/completions`, { method: "POST", body: chatBody("streamed over tls", true), dispatcher: trusting });
    const chunks = sseJson<{ choices: { delta: { content?: string } }[] }>(await streamed.body.text());
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")).toBe("streamed over tls");

    cli.child.kill("SIGTERM");
    expect((await cli.exited).code).toBe(0);
  });

  it("createHermes().listen() takes PEM text in the config, and refuses plain HTTP on that port", async () => {
    const hermes = await createHermes(hermesConfigSchema.parse({ storage: "memory", server: { port: 0, tls: { cert: pair.cert, key: pair.key } } }));
    const listener = await hermes.listen();
    try {
      expect(listener.protocol).toBe("https");
      expect(listener.url).toBe(`https://127.0.0.1:${listener.port}`);
      const health = await request(`${listener.url}/health`, { dispatcher: trusting });
      expect(health.statusCode).toBe(200);
      // Served over TLS: HSTS, as the original server sends it.
      expect(health.headers["strict-transport-security"]).toBe("max-age=31536000; includeSubDomains");
      await health.body.dump();
      // A client that does not trust the certificate is refused by TLS, not answered in plain text.
      await expect(request(`${listener.url}/health`)).rejects.toThrow(/self[- ]signed|certificate/i);
      const plain = await fetch(`http://127.0.0.1:${listener.port}/health`).then(
        (response) => response.status,
        () => "refused",
      );
      expect(plain).not.toBe(200);
    } finally {
      await hermes.close();
      await listener.close();
    }
  });

  it("check masks PEM given in the environment and prints file paths as they are", async () => {
    const inline = await runCli(["check"], { cwd: tmpdir(), env: { HERMES_TLS_CERT: pair.cert, HERMES_TLS_KEY: pair.key, HERMES_STORAGE: "memory" } });
    expect(inline.code).toBe(0);
    expect(JSON.parse(inline.stdout).server.tls).toEqual({ cert: "[PEM certificate]", key: "[PEM private key]" });
    const keyBody = pair.key.split("\n").slice(1, -2).join("\n");
    expect(inline.stdout + inline.stderr).not.toContain(keyBody.slice(0, 40));

    const files = await runCli(["check"], { cwd: dir, env: { HERMES_STORAGE: "memory" } });
    expect(files.code).toBe(0);
    expect(JSON.parse(files.stdout).server.tls).toEqual({ cert: "server-cert.pem", key: "server-key.pem" });
  });

  it("a missing file or a key that is not the certificate's is one line and exit 1", async () => {
    const missing = await runCli(["--port", "0"], { cwd: dir, env: { HERMES_TLS_KEY: "missing-key.pem" } });
    expect(missing).toMatchObject({
      code: 1,
      stdout: "",
      stderr: 'hermes-proxy: server.tls.key: cannot read the file "missing-key.pem" (no such file); give a file path or the PEM text\n',
    });

    const mismatched = await runCli(["check"], { cwd: dir, env: { HERMES_TLS_KEY: other.keyPath } });
    expect(mismatched.code).toBe(1);
    expect(mismatched.stderr).toMatch(/^hermes-proxy: server\.tls: the certificate and key cannot be used together \(.+\)\n$/);
    expect(mismatched.stderr).not.toContain(other.key.split("\n")[1]);
  });
});
