import { describe, expect, it } from "vitest";
import { withOptionalPackage } from "../../../sdk/index.ts";
import { missingPackage } from "../../../src/utils/index.ts";

describe("missingPackage", () => {
  it("names the package from Node's, CommonJS's and jiti's messages, through causes", () => {
    expect(missingPackage(new Error("Cannot find package 'ioredis' imported from /app/node_modules/unstorage/drivers/redis.mjs"))).toBe("ioredis");
    expect(missingPackage(new Error("Cannot find module '@opentelemetry/api/build/src'\nRequire stack:\n- /app/x.js"))).toBe("@opentelemetry/api");
    const db0 = new Error("[db0] [better-sqlite3] Cannot import `better-sqlite3`.", {
      cause: new Error("Cannot find package 'better-sqlite3' imported from /x"),
    });
    expect(missingPackage(db0)).toBe("better-sqlite3");
  });

  it("is not fooled by a missing relative file, a builtin or another failure", () => {
    expect(missingPackage(new Error("Cannot find module './local.ts'"))).toBeUndefined();
    expect(missingPackage(new Error("Cannot find module 'node:nothing'"))).toBeUndefined();
    expect(missingPackage(new Error("connect ECONNREFUSED 127.0.0.1:6379"))).toBeUndefined();
    expect(missingPackage("Cannot find package 'x'")).toBeUndefined();
  });
});

describe("withOptionalPackage", () => {
  it("turns a real failed import of the named package into one line saying what to install", async () => {
    const specifier = "hermes-not-installed-peer";
    const failure = await withOptionalPackage(specifier, "storage-demo", () => import(/* @vite-ignore */ specifier)).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failure?.message).toBe("storage-demo needs the hermes-not-installed-peer package, which is not installed: npm install hermes-not-installed-peer");
  });

  it("passes any other failure through unchanged", async () => {
    const other = new Error("connect ECONNREFUSED 127.0.0.1:6379");
    await expect(withOptionalPackage("ioredis", "storage-redis", () => Promise.reject(other))).rejects.toBe(other);
    await expect(withOptionalPackage("ioredis", "storage-redis", async () => 42)).resolves.toBe(42);
  });
});
