import { describe, expect, expectTypeOf, it } from "vitest";
import { defineConfig } from "../../../sdk/index.ts";
import type { HermesConfigEnv, HermesUserConfig } from "../../../sdk/index.ts";

describe("defineConfig", () => {
  it("returns an object unchanged, typed as the user config", () => {
    const config = { server: { port: 1 } };
    expect(defineConfig(config)).toBe(config);
    expectTypeOf(defineConfig(config)).toEqualTypeOf<HermesUserConfig>();
  });

  it("returns a function unchanged, keeping it callable with the environment", async () => {
    const make = defineConfig((env) => ({ model: { name: env.NAME ?? "x" } }));
    expectTypeOf(make).parameter(0).toEqualTypeOf<HermesConfigEnv>();
    expect(make({ NAME: "n" })).toEqual({ model: { name: "n" } });
    const later = defineConfig(async () => ({ storage: "memory" }));
    expect(await later({})).toEqual({ storage: "memory" });
  });

  it("rejects misspelt fields at compile time", () => {
    // @ts-expect-error -- "prot" is not a server field
    defineConfig({ server: { prot: 1 } });
  });
});
