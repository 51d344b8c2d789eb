import { describe, expect, it } from "vitest";
import { hermesConfigSchema } from "../../../src/config/schema.ts";
import { defaultMaxConnections, listenerLimits, nodeServerOptions, openFileLimit } from "../../../src/server/listen-limits.ts";
import { problemsOf } from "../../helpers/config-problems.ts";

describe("listener limits", () => {
  it("defaults: 15 s for headers, 30 s for the whole request, 5 s of keep-alive", () => {
    const { server } = hermesConfigSchema.parse({});
    expect(server).toMatchObject({ headersTimeoutMs: 15_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000 });
    expect(server.maxConnections).toBeUndefined();
    expect(listenerLimits(server).maxConnections).toBe(defaultMaxConnections(openFileLimit()));
  });

  it("derives the connection cap from the open-file limit: half of it less 64, at most 10,000", () => {
    expect(defaultMaxConnections(1024)).toBe(480);
    expect(defaultMaxConnections(20_000)).toBe(9_968);
    expect(defaultMaxConnections(1_048_576)).toBe(10_000);
    expect(defaultMaxConnections(100)).toBe(18);
    expect(defaultMaxConnections(undefined)).toBe(1_000);
  });

  it("reads the soft limit from /proc/self/limits", () => {
    const text =
      "Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n";
    expect(openFileLimit(text)).toBe(1024);
    expect(openFileLimit("Max open files            unlimited            unlimited            files\n")).toBeUndefined();
    expect(openFileLimit("")).toBeUndefined();
  });

  it("hands Node its timeouts, checked on a tick of a quarter of the shorter one (at most a second)", () => {
    const limits = { headersTimeoutMs: 15_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, maxConnections: 10 };
    expect(nodeServerOptions(limits, false)).toEqual({
      headersTimeout: 15_000,
      requestTimeout: 30_000,
      keepAliveTimeout: 5_000,
      connectionsCheckingInterval: 1_000,
    });
    expect(nodeServerOptions({ ...limits, headersTimeoutMs: 600 }, true)).toMatchObject({ connectionsCheckingInterval: 150, handshakeTimeout: 600 });
  });

  it("refuses a headers timeout longer than the request timeout, as Node would at listen", () => {
    expect(problemsOf({ server: { headersTimeoutMs: 40_000 } })).toEqual(["server.headersTimeoutMs: must not exceed server.requestTimeoutMs (30000)"]);
  });
});
