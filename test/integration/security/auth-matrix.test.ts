import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProxy, type TestProxy } from "../../helpers/proxy.ts";
import { concretePath, declaredRoutes, publicPaths } from "./route-table.ts";

/**
 * Bearer auth over every route of the app's route table and every method (declared or not: auth
 * comes before routing, so an undeclared method must not tell a stranger more than a 401 does).
 */

const KEY = "auth-matrix-key-0123456789abcdef";
const methods = ["GET", "POST", "DELETE", "PATCH", "PUT"] as const;

const refused: [string, Record<string, string>][] = [
  ["no key", {}],
  ["wrong key", { authorization: "Bearer wrong-key-0123456789abcdef" }],
  ["a prefix of the key", { authorization: `Bearer ${KEY.slice(0, -1)}` }],
  ["the key and more", { authorization: `Bearer ${KEY}x` }],
  ["a very long key", { authorization: `Bearer ${"k".repeat(8_000)}` }],
  ["empty bearer", { authorization: "Bearer " }],
  ["wrong scheme (Basic)", { authorization: `Basic ${KEY}` }],
  ["wrong scheme (Token)", { authorization: `Token ${KEY}` }],
  ["a lowercase scheme with a wrong key", { authorization: "bearer wrong-key-0123456789abcdef" }],
  ["no scheme", { authorization: KEY }],
  ["key in another header", { "x-api-key": KEY, "api-key": KEY }],
];

/** The key where some clients put it: never read, since URLs end up in logs. */
const keyInQuery = `?api_key=${KEY}&key=${KEY}&access_token=${KEY}&authorization=${encodeURIComponent(`Bearer ${KEY}`)}`;

describe("the auth matrix over every route", () => {
  let proxy: TestProxy;
  const routes = declaredRoutes();

  beforeAll(async () => {
    proxy = await startProxy({ server: { apiKey: KEY } });
  });
  afterAll(() => proxy.close());

  const send = (method: string, path: string, headers: Record<string, string>) =>
    fetch(`${proxy.url}${path}`, {
      method,
      headers: { "content-type": "application/json", ...headers },
      ...(method !== "GET" && method !== "DELETE" && { body: JSON.stringify({ model: "m", input: "hi", messages: [{ role: "user", content: "hi" }] }) }),
    });

  it("reads the whole route table", () => {
    expect(routes.length).toBeGreaterThanOrEqual(16);
    expect(routes.every((route) => route.methods.length > 0)).toBe(true);
  });

  for (const route of routes) {
    const path = concretePath(route.path);
    it(`${route.path} (${route.methods.join(", ")})`, async () => {
      for (const method of methods) {
        const where = `${method} ${route.path}`;
        if (publicPaths.has(route.path)) {
          if (route.methods.includes(method)) expect((await send(method, path, {})).status, where).toBe(200);
          continue;
        }
        await Promise.all(
          refused.map(async ([label, headers]) => {
            const response = await send(method, path, headers);
            expect(response.status, `${where}, ${label}`).toBe(401);
            const body = (await response.json()) as { error: { code: string; message: string } };
            expect(body.error.code).toBe("invalid_api_key");
            expect(JSON.stringify(body)).not.toContain(KEY);
          }),
        );
        const query = await send(method, path + keyInQuery, {});
        expect(query.status, `${where}, key in the query string`).toBe(401);
        await query.body?.cancel();

        // The right key gets past auth (whatever the route then answers), and a wrong key in the
        // query string changes nothing either way.
        const allowed = await send(method, `${path}?api_key=wrong`, { authorization: `Bearer ${KEY}` });
        expect(allowed.status, `${where}, right key`).not.toBe(401);
        expect(allowed.status, `${where}, right key`).toBeLessThan(500);
        if (!route.methods.includes(method)) expect(allowed.status, `${where}, undeclared method`).toBe(405);
        await allowed.body?.cancel();
        // The scheme is case-insensitive (RFC 9110 §11.1).
        for (const scheme of ["bearer", "BEARER"]) {
          const anyCase = await send(method, path, { authorization: `${scheme} ${KEY}` });
          expect(anyCase.status, `${where}, scheme ${scheme}`).not.toBe(401);
          await anyCase.body?.cancel();
        }
      }
    });
  }
});
