import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe } from "vitest";
import { describeRedis, redisSpec } from "./redis.ts";

export type DriverName = "memory" | "fs" | "sqlite" | "redis";

export interface StorageTarget {
  name: DriverName;
  /** A fresh, empty storage each call, as `storage` / `HERMES_STORAGE` takes it. */
  spec(): string;
  /** True for fs, SQLite and Redis: what survives a restart. */
  durable: boolean;
}

/**
 * Runs `body` once per driver — memory, fs and SQLite in a temp dir, Redis at `REDIS_URL` (see
 * `describeRedis` for when that is skipped or fails) — each in its own describe block, cleaned up after.
 */
export function describeStorages(name: string, body: (target: StorageTarget) => void, only?: readonly DriverName[]): void {
  const wanted = (driver: DriverName) => only === undefined || only.includes(driver);
  if (wanted("memory")) describe(`${name} on memory`, () => body({ name: "memory", spec: () => "memory", durable: false }));
  for (const driver of ["fs", "sqlite"] as const) {
    if (!wanted(driver)) continue;
    describe(`${name} on ${driver}`, () => {
      const dir = mkdtempSync(join(tmpdir(), `hermes-${driver}-`));
      afterAll(() => rm(dir, { recursive: true, force: true }));
      const spec = () => (driver === "fs" ? `fs:${join(dir, randomUUID())}` : `sqlite:${join(dir, `${randomUUID()}.db`)}`);
      body({ name: driver, spec, durable: true });
    });
  }
  if (wanted("redis"))
    describeRedis(`${name} on redis`, ({ prefix }) => {
      body({ name: "redis", spec: () => redisSpec(`${prefix}:${randomUUID().slice(0, 8)}`), durable: true });
    });
}
