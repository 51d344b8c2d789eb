import { afterEach, describe, expect, it, vi } from "vitest";
import { createPluginLogger } from "../../../src/plugins/load.ts";
import { captureLogs, createLogger, logger, setLogLevel } from "../../../src/utils/logger.ts";

afterEach(() => {
  setLogLevel("info");
  vi.restoreAllMocks();
});

describe("logger", () => {
  it("writes the prefix once, the scope after it, and details as the console prints them", () => {
    const logs = captureLogs();
    const error = new Error("disk full");
    logger.error("storing a response failed:", error);
    createLogger("tool-clock").warn("clock skew", '{"ms":120}');
    logs.restore();
    expect(logs.records).toEqual([
      { level: "error", line: "[hermes-proxy] storing a response failed:", details: [error] },
      { level: "warn", line: "[hermes-proxy] [tool-clock] clock skew", details: ['{"ms":120}'] },
    ]);
    expect(logs.lines()).toEqual(["[hermes-proxy] storing a response failed: Error: disk full", '[hermes-proxy] [tool-clock] clock skew {"ms":120}']);
  });

  it("drops lines below the level, debug by default", () => {
    const logs = captureLogs();
    logger.debug("hidden");
    logger.info("shown");
    setLogLevel("error");
    logger.warn("hidden too");
    logger.error("still shown");
    setLogLevel("debug");
    logger.debug("now shown");
    logs.restore();
    expect(logs.lines()).toEqual(["[hermes-proxy] shown", "[hermes-proxy] still shown", "[hermes-proxy] now shown"]);
  });

  it("writes every level to stderr through the console, so that stdout keeps only the request log", () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const info = vi.spyOn(console, "info").mockImplementation(() => {});
    logger.info("started");
    logger.warn("careful");
    logger.error("failed:", "why");
    expect(error.mock.calls).toEqual([["[hermes-proxy] started"], ["[hermes-proxy] failed:", "why"]]);
    expect(warn.mock.calls).toEqual([["[hermes-proxy] careful"]]);
    expect(log).not.toHaveBeenCalled();
    expect(info).not.toHaveBeenCalled();
  });

  it("restore() writes to the console again; a capture inside a capture hands back to the outer one", () => {
    const outer = captureLogs();
    const inner = captureLogs();
    logger.error("inner");
    inner.restore();
    logger.error("outer");
    outer.restore();
    expect(inner.lines()).toEqual(["[hermes-proxy] inner"]);
    expect(outer.lines()).toEqual(["[hermes-proxy] outer"]);
  });
});

describe("a plugin's context.logger", () => {
  it("names the plugin and puts its details on the same line as JSON", () => {
    const logs = captureLogs();
    const pluginLogger = createPluginLogger("tool-http-fetch");
    pluginLogger.warn("rate limited", { retryAfter: 30 });
    pluginLogger.error("failed");
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    pluginLogger.info("odd details", circular);
    logs.restore();
    expect(logs.lines()).toEqual([
      '[hermes-proxy] [tool-http-fetch] rate limited {"retryAfter":30}',
      "[hermes-proxy] [tool-http-fetch] failed",
      "[hermes-proxy] [tool-http-fetch] odd details [details not serialisable]",
    ]);
  });
});
