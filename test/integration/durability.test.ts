import { mkdtempSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Redis } from "ioredis";
import OpenAI from "openai";
import { afterAll, beforeAll, expect, it } from "vitest";
import { binPath, cleanEnv, type RunningCli, startCli } from "../helpers/cli.ts";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { readSse } from "../helpers/sse.ts";
import { describeStorages } from "../helpers/storages.ts";

/** A record cut off mid-write, as a crash during a non-atomic write would leave it. */
const torn = '{"response":{"id":"resp_torn","createdAt":1,"status":"completed","model":"m","output":[{"type":"mess';

/**
 * kill -9 in the middle of a conversation, on each durable driver: the real CLI as a child process,
 * killed mid-stream, started again on the same storage. Everything the client was told is stored is
 * there; the turn cut off mid-stream is not read back as complete; a torn record reads as missing.
 */
describeStorages(
  "kill -9 and restart",
  (target) => {
    let upstream: FakeUpstream;
    let cwd: string;
    let spec: string;
    let cli: RunningCli | undefined;
    const children: RunningCli[] = [];

    const launch = async () => {
      cli = await startCli(process.execPath, [binPath, "--port", "0"], {
        cwd,
        env: { HERMES_STORAGE: spec, HERMES_UPSTREAM_URL: upstream.url, HERMES_UPSTREAM_MODEL: "fake-model" },
        envBase: cleanEnv(),
        timeoutMs: 20_000,
      });
      children.push(cli);
      return new OpenAI({ baseURL: `${cli.url}/v1`, apiKey: "unused", maxRetries: 0 });
    };

    beforeAll(async () => {
      cwd = mkdtempSync(join(tmpdir(), "hermes-durability-"));
      spec = target.spec();
      upstream = await startFakeUpstream();
    });
    afterAll(async () => {
      for (const child of children) if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill("SIGKILL");
      await Promise.all(children.map((child) => child.exited.catch(() => undefined)));
      await upstream.close();
      await rm(cwd, { recursive: true, force: true });
    });

    it("continues the chain after kill -9 mid-stream, and never serves the cut turn as complete", async () => {
      let client = await launch();
      upstream.enqueue({ text: "Hello Ada." }, { text: "Blue it is." });
      const first = await client.responses.create({ model: "m", input: "I am Ada.", conversation: "durable" } as never);
      const second = await client.responses.create({ model: "m", input: "I like blue.", conversation: "durable" } as never);
      const runStart = await fetch(`${cli!.url}/v1/runs`, { method: "POST", body: JSON.stringify({ input: "run before the crash" }) });
      const { run_id } = (await runStart.json()) as { run_id: string };
      const runEvents = await (await fetch(`${cli!.url}/v1/runs/${run_id}/events`)).text();

      // Turn three streams slowly; the proxy is killed after its first words.
      upstream.enqueue({ text: Array.from({ length: 80 }, (_, i) => `w${i}`).join(" "), delayMs: 30 });
      const response = await fetch(`${cli!.url}/v1/responses`, {
        method: "POST",
        body: JSON.stringify({ input: "Say many words", previous_response_id: second.id, stream: true }),
      });
      let cutId = "";
      for await (const frame of readSse(response)) {
        const data = JSON.parse(frame.data);
        if (data.type === "response.created") cutId = data.response.id;
        if (data.type === "response.output_text.delta") break;
      }
      cli!.child.kill("SIGKILL");
      expect((await cli!.exited).signal).toBe("SIGKILL");

      client = await launch();
      expect((await client.responses.retrieve(second.id)).output_text).toBe("Blue it is.");
      // The cut turn was never finished, and is never a completed response. Which record it left
      // depends on what landed before the kill: none yet (404), its in-progress snapshot, or — when the
      // client's own disconnect (the `break` above) reached the proxy first — the documented outcome of a
      // stream its client left: `incomplete` with what it was sent.
      const cut = await client.responses.retrieve(cutId).catch((error: { status: number }) => error);
      if ("status" in cut && typeof cut.status === "number") expect(cut.status).toBe(404);
      else if ((cut as { status: string }).status === "incomplete")
        expect(cut).toMatchObject({ status: "incomplete", incomplete_details: { reason: "client_disconnected" } });
      else expect(cut).toMatchObject({ status: "in_progress", output: [] });

      upstream.reset();
      upstream.enqueue({ text: "You are Ada and like blue." }, { text: "Still Ada." });
      const resumed = await client.responses.create({ model: "m", input: "Who am I?", previous_response_id: second.id });
      expect(resumed.output_text).toBe("You are Ada and like blue.");
      const sent = (index: number) => upstream.requests[index]?.body.messages.map((message: { content: string }) => message.content);
      expect(sent(0)).toEqual(["I am Ada.", "Hello Ada.", "I like blue.", "Blue it is.", "Who am I?"]);
      // The conversation name points at the last turn stored on it.
      await client.responses.create({ model: "m", input: "Again?", conversation: "durable" } as never);
      expect(sent(1)).toEqual(["I am Ada.", "Hello Ada.", "I like blue.", "Blue it is.", "Again?"]);
      // The run's log was stored as it ran: replayed whole by the new process.
      expect(await (await fetch(`${cli!.url}/v1/runs/${run_id}/events`)).text()).toBe(runEvents);
      expect(first.id).toMatch(/^resp_/);
    });

    it("reads a torn record as missing", async () => {
      await writeTorn(target.name, spec, torn);
      const client = cli ? new OpenAI({ baseURL: `${cli.url}/v1`, apiKey: "unused", maxRetries: 0 }) : await launch();
      const retrieved = await client.responses.retrieve("resp_torn").catch((error: { status: number }) => error);
      expect((retrieved as { status: number }).status).toBe(404);
      const chained = await client.responses
        .create({ model: "m", input: "x", previous_response_id: "resp_torn" })
        .catch((error: { status: number; code: string }) => error);
      expect(chained).toMatchObject({ status: 404, code: "previous_response_not_found" });
    });
  },
  ["fs", "sqlite", "redis"],
);

/** Writes `text` as the stored value of `responses:resp_torn`, straight into the backend, bypassing the proxy. */
async function writeTorn(driver: string, spec: string, text: string): Promise<void> {
  if (driver === "fs") {
    const dir = spec.slice("fs:".length);
    await writeFile(join(dir, "responses", "resp_torn"), text);
    // A temporary file left by a write that never got its rename is not a record either.
    await writeFile(join(dir, "responses", ".tmp-0000"), text);
  } else if (driver === "sqlite") {
    const database = new Database(spec.slice("sqlite:".length));
    database.prepare("INSERT OR REPLACE INTO hermes (key, value) VALUES (?, ?)").run("responses:resp_torn", text);
    database.close();
  } else {
    const url = new URL(spec);
    const prefix = url.searchParams.get("prefix");
    url.searchParams.delete("prefix");
    const client = new Redis(url.toString());
    await client.set(`${prefix}:responses:resp_torn`, text);
    client.disconnect();
  }
}
