import { describe, expect, it } from "vitest";
import { hermesConfigSchema, type HermesUserConfig } from "../../../src/config/schema.ts";
import { HermesError } from "../../../src/protocol/index.ts";
import { chooseModel } from "../../../src/runtime/model.ts";
import { createUpstreamFromConfig } from "../../../src/upstream/create.ts";
import { modelRoutes } from "../../../src/upstream/router/index.ts";
import type { Upstream } from "../../../src/upstream/types.ts";

/** One model-selection path: the `upstream` block is a one-route table, chosen from like any `models` table. */

const config = (input: HermesUserConfig) => hermesConfigSchema.parse(input);
const real = { kind: "chat" } as Upstream;
const echo = { kind: "echo" } as Upstream;
const errorOf = (choose: () => unknown) => {
  try {
    choose();
  } catch (error) {
    return error;
  }
  throw new Error("expected a refusal");
};

describe("modelRoutes", () => {
  it("makes the upstream block a one-route table named after the advertised model, taking every name", () => {
    const table = modelRoutes(config({ upstream: { baseURL: "http://127.0.0.1:1", model: "gpt-pinned" } }));
    expect(table.implicit).toBe(true);
    expect([...table.routes.keys()]).toEqual(["hermes-agent"]);
    expect(table.defaultRoute?.targets).toEqual([{ upstream: "default", model: "gpt-pinned" }]);
  });

  it("keeps a models table as written, with routing.defaultModel as its default route", () => {
    const table = modelRoutes(
      config({
        upstreams: { other: { baseURL: "http://127.0.0.1:2" } },
        models: { fast: { upstream: "other", model: "small", contextTokens: 8000 }, smart: { upstream: "other", model: "big" } },
        routing: { defaultModel: "smart" },
      }),
    );
    expect(table.implicit).toBe(false);
    expect([...table.routes.keys()]).toEqual(["fast", "smart"]);
    expect(table.defaultRoute?.name).toBe("smart");
    expect(table.routes.get("fast")?.contextTokens).toBe(8000);
  });
});

describe("chooseModel", () => {
  it("sends a pinned upstream model for any name, reporting the client's", () => {
    const pinned = config({ upstream: { baseURL: "http://127.0.0.1:1", model: "gpt-pinned" } });
    expect(chooseModel(pinned, real, "whatever")).toEqual({ upstream: "hermes-agent", reported: "whatever" });
    expect(chooseModel(pinned, real, undefined)).toEqual({ upstream: "hermes-agent", reported: "hermes-agent" });
  });

  it("without a pinned model sends the client's model as is, and refuses the advertised name and aliases", () => {
    const open = config({ upstream: { baseURL: "http://127.0.0.1:1" }, model: { aliases: ["hermes"] } });
    expect(chooseModel(open, real, "gpt-4.1")).toEqual({ upstream: "gpt-4.1", reported: "gpt-4.1" });
    for (const name of ["hermes-agent", "hermes", undefined])
      expect(errorOf(() => chooseModel(open, real, name))).toMatchObject({ status: 400, code: "model_not_configured", param: "model" });
    // The echo upstream takes any name.
    expect(chooseModel(open, echo, undefined)).toEqual({ upstream: "hermes-agent", reported: "hermes-agent" });
  });

  it("sends the advertised name, its aliases and no name to upstream.defaultModel, and other names as they are", () => {
    const open = config({ upstream: { baseURL: "http://127.0.0.1:1", defaultModel: "gpt-4o-mini" }, model: { aliases: ["hermes"] } });
    expect(chooseModel(open, real, "hermes-agent")).toEqual({ upstream: "gpt-4o-mini", reported: "hermes-agent" });
    expect(chooseModel(open, real, "hermes")).toEqual({ upstream: "gpt-4o-mini", reported: "hermes" });
    expect(chooseModel(open, real, undefined)).toEqual({ upstream: "gpt-4o-mini", reported: "hermes-agent" });
    expect(chooseModel(open, real, "gpt-4.1")).toEqual({ upstream: "gpt-4.1", reported: "gpt-4.1" });
  });

  it("routes by a models table: the named route, the default route, the first for no name, else 404", () => {
    const models = { fast: { upstream: "default", model: "small", contextTokens: 8000 }, smart: { upstream: "default", model: "big" } };
    const table = config({ upstream: { baseURL: "http://127.0.0.1:1" }, models });
    expect(chooseModel(table, real, "fast")).toEqual({ upstream: "fast", reported: "fast", contextTokens: 8000 });
    expect(chooseModel(table, real, undefined)).toEqual({ upstream: "fast", reported: "fast", contextTokens: 8000 });
    expect(errorOf(() => chooseModel(table, real, "nope"))).toMatchObject({ status: 404, code: "model_not_found" });
    const withDefault = config({ upstream: { baseURL: "http://127.0.0.1:1" }, models, routing: { defaultModel: "smart" } });
    expect(chooseModel(withDefault, real, "nope")).toEqual({ upstream: "smart", reported: "nope" });
  });
});

describe("createUpstreamFromConfig", () => {
  it("is the router on every config; over the upstream block alone it shows that upstream as its own", async () => {
    const single = createUpstreamFromConfig(config({ upstream: { baseURL: "http://127.0.0.1:1", api: "responses" } }));
    expect(single.kind).toBe("responses");
    expect(single.baseURL).toBe("http://127.0.0.1:1");
    expect("upstreamStates" in single).toBe(false);
    await single.close();
    const routed = createUpstreamFromConfig(config({ upstream: { baseURL: "http://127.0.0.1:1" }, models: { fast: { upstream: "default", model: "small" } } }));
    expect(routed.kind).toBe("router");
    expect("upstreamStates" in routed).toBe(true);
    await routed.close();
  });
});

describe("the router over the upstream block alone", () => {
  it("never skips its one upstream after failures: there is nothing to fall back to", async () => {
    const failing: Upstream = {
      kind: "chat",
      stream: () => ({
        [Symbol.asyncIterator]() {
          return { next: () => Promise.reject(new HermesError("down", { status: 503, code: "upstream_error" })) };
        },
      }),
      close: async () => {},
    };
    const { routes, defaultRoute } = modelRoutes(config({ upstream: { baseURL: "http://127.0.0.1:1" } }));
    const { createRouterUpstream } = await import("../../../src/upstream/router/index.ts");
    const router = createRouterUpstream({
      routes,
      defaultRoute,
      transparent: true,
      upstreams: new Map([["default", failing]]),
      fallbackOn: ["5xx"],
      circuitBreaker: { failures: 2, cooldownMs: 60_000 },
    });
    for (let call = 0; call < 5; call++) {
      const error = await router
        .stream({ model: "m", items: [], tools: [] }, { signal: AbortSignal.timeout(1000) })
        [Symbol.asyncIterator]()
        .next()
        .catch((caught: unknown) => caught);
      expect((error as Error).message).toBe("down");
    }
  });
});
