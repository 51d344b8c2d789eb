import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { createHermes, type Hermes, hermesConfigSchema } from "../../src/index.ts";
import { bodies, expectClientError, fuzzRuns, headerValue, idPaths, postRoutes } from "../helpers/fuzz.ts";

const KEY = "fuzz-key-0123456789abcdef";

/**
 * Property-based fuzzing of every POST body and every header and id we read, in process against the
 * echo upstream: whatever arrives, the answer is a 2xx or a 4xx in the OpenAI envelope — never a 5xx,
 * never a crash. `FUZZ_RUNS=10000` (what `npm run fuzz` sets) for the long run.
 */
describe("fuzzing", { timeout: 600_000 }, () => {
  let hermes: Hermes;
  beforeAll(async () => {
    hermes = await createHermes(hermesConfigSchema.parse({ storage: "memory", server: { apiKey: KEY, bodyLimit: 1_000_000 } }));
  });
  afterAll(() => hermes.close());

  for (const route of postRoutes) {
    it(`POST ${route.path} bodies`, async () => {
      await fc.assert(
        fc.asyncProperty(bodies(route), async (body) => {
          await expectClientError(
            hermes,
            new Request(`http://local${route.path}`, {
              method: "POST",
              body: body as BodyInit,
              headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
            }),
          );
        }),
        { numRuns: fuzzRuns },
      );
    });

    it(`POST ${route.path} headers`, async () => {
      await fc.assert(
        fc.asyncProperty(headerValue, headerValue, headerValue, async (idempotencyKey, sessionId, authorization) => {
          const headers: Record<string, string> = { authorization: `Bearer ${KEY}`, "idempotency-key": idempotencyKey, "x-hermes-session-id": sessionId };
          await expectClientError(hermes, new Request(`http://local${route.path}`, { method: "POST", body: JSON.stringify(route.valid), headers }));
          await expectClientError(
            hermes,
            new Request(`http://local${route.path}`, { method: "POST", body: JSON.stringify(route.valid), headers: { authorization } }),
          );
        }),
        { numRuns: Math.ceil(fuzzRuns / 4) },
      );
    });
  }

  it("ids in paths", async () => {
    const id = fc.oneof(fc.string({ unit: "grapheme", maxLength: 40 }), fc.constantFrom("..", "a:b", "a/b", "%2e%2e", "resp_../../x", "*", ":", "%00"));
    await fc.assert(
      fc.asyncProperty(id, fc.constantFrom(...idPaths), async (value, path) => {
        const [method, target] = path(encodeURIComponent(value));
        await expectClientError(hermes, new Request(`http://local${target}`, { method, headers: { authorization: `Bearer ${KEY}` } }));
      }),
      { numRuns: fuzzRuns },
    );
  });
});
