import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { Redis } from "ioredis";
import { describe, it } from "vitest";
import { redisUrl } from "./redis.ts";

/**
 * A `redis-server` of a test's own, on a free loopback port, that the test may stop and start again
 * (an outage the shared Redis at `REDIS_URL` must never suffer). Its data is in an append-only file
 * synced on every write, so what was stored before a stop — even a `SIGKILL` — is there after the start.
 */
export interface OwnRedis {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly running: boolean;
  /** Stops the server (`SIGKILL` by default: a crash; `SIGTERM` shuts it down cleanly) and waits for its exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and data, and waits until it answers. */
  start(): Promise<void>;
  /** Freezes it (`SIGSTOP`): connections stay open, nothing is answered — a hung server. */
  pause(): void;
  /** Lets a paused server go on (`SIGCONT`); what it was sent meanwhile runs then. */
  resume(): void;
  /** Stops it for good and deletes its data. */
  close(): Promise<void>;
}

/** True when `redis-server` can be run here. */
export function hasRedisServer(): boolean {
  return spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "hermes-own-redis-"));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = "";

  const answers = async () => {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
    client.on("error", () => undefined);
    try {
      await client.connect();
      return (await client.ping()) === "PONG";
    } catch {
      return false;
    } finally {
      client.disconnect();
    }
  };
  const start = async () => {
    if (child) return;
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always"];
    const spawned = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
    child = spawned;
    spawned.stdout!.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000)));
    spawned.stderr!.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000)));
    exited = new Promise<void>((resolve) => spawned.once("exit", () => resolve()));
    void exited.then(() => {
      if (child === spawned) child = undefined;
    });
    const deadline = Date.now() + 10_000;
    while (!(await answers())) {
      if (!child || Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start:\n${output}`);
      await delay(25);
    }
  };
  const stop = async (signal: NodeJS.Signals = "SIGKILL") => {
    if (!child) return;
    child.kill(signal);
    await exited;
  };
  await start();
  return {
    port,
    url,
    get running() {
      return child !== undefined;
    },
    stop,
    start,
    pause: () => void child?.kill("SIGSTOP"),
    resume: () => void child?.kill("SIGCONT"),
    async close() {
      child?.kill("SIGCONT");
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A describe block that stops and starts a Redis of its own. It runs where the Redis tests run (with
 * `REDIS_URL` set, and always under `CI=true`), and there a missing `redis-server` is a failure, not a
 * skip. Elsewhere it is skipped with the reason in its title, as `describeRedis` is.
 */
export function describeOwnRedis(name: string, body: () => void): void {
  const wanted = redisUrl !== undefined || process.env.CI === "true";
  if (!wanted) {
    describe.skip(`${name} (skipped: REDIS_URL is not set; REDIS_URL=redis://127.0.0.1:6379 npm test runs the Redis tests)`, body);
    return;
  }
  if (!hasRedisServer()) {
    describe(name, () => {
      it("has redis-server to run", () => {
        throw new Error("redis-server is not installed: the storage outage tests start and stop a Redis of their own");
      });
    });
    return;
  }
  describe(name, body);
}
