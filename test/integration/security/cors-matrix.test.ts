import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProxy, type TestProxy } from "../../helpers/proxy.ts";
import { concretePath, declaredRoutes } from "./route-table.ts";

/**
 * CORS over every route of the app's route table: a listed origin gets its headers, any other
 * origin a 403 (so a web page cannot drive a user's local proxy), a request without `Origin` (SDKs,
 * curl) none, and preflights are answered before auth, for listed origins only.
 */

const KEY = "cors-matrix-key-0123456789abcdef";
const ALLOWED = "https://app.example";

describe("the CORS matrix over every route", () => {
  let proxy: TestProxy;
  const routes = declaredRoutes();

  beforeAll(async () => {
    proxy = await startProxy({ server: { apiKey: KEY, cors: { origins: [ALLOWED] } } });
  });
  afterAll(() => proxy.close());

  const send = (method: string, path: string, headers: Record<string, string>) =>
    fetch(`${proxy.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json", ...headers },
      ...(method === "POST" && { body: JSON.stringify({ model: "m", input: "hi", messages: [{ role: "user", content: "hi" }] }) }),
    });

  for (const route of routes) {
    const path = concretePath(route.path);
    it(`${route.path} (${route.methods.join(", ")})`, async () => {
      for (const method of route.methods) {
        const where = `${method} ${route.path}`;

        const allowed = await send(method, path, { origin: ALLOWED });
        expect(allowed.status, `${where}, allowed origin`).toBeLessThan(500);
        expect(allowed.headers.get("access-control-allow-origin"), where).toBe(ALLOWED);
        expect(allowed.headers.get("vary"), where).toMatch(/\bOrigin\b/);
        expect(allowed.headers.get("access-control-expose-headers"), where).toMatch(/X-Hermes-Session-Id/);
        await allowed.body?.cancel();

        for (const origin of ["https://evil.example", "null", `${ALLOWED}.evil.example`, "http://app.example"]) {
          const other = await send(method, path, { origin });
          expect(other.status, `${where}, origin ${origin}`).toBe(403);
          expect(((await other.json()) as { error: { code: string } }).error.code).toBe("origin_not_allowed");
          expect(other.headers.get("access-control-allow-origin")).toBeNull();
        }

        const none = await send(method, path, {});
        expect(none.status, `${where}, no origin`).toBeLessThan(500);
        expect(none.headers.get("access-control-allow-origin"), where).toBeNull();
        await none.body?.cancel();

        // Browsers send preflights without credentials: answered before auth.
        const preflight = await fetch(`${proxy.url}${path}`, {
          method: "OPTIONS",
          headers: {
            origin: ALLOWED,
            "access-control-request-method": method,
            "access-control-request-headers": "authorization, content-type, idempotency-key, x-hermes-session-id",
          },
        });
        expect(preflight.status, `${where}, preflight`).toBe(204);
        expect(preflight.headers.get("access-control-allow-origin")).toBe(ALLOWED);
        expect(preflight.headers.get("access-control-allow-methods")).toContain(method);
        expect(preflight.headers.get("access-control-allow-headers")).toMatch(/Authorization/);
        expect(preflight.headers.get("access-control-allow-headers")).toMatch(/Idempotency-Key/);
        expect(preflight.headers.get("access-control-allow-headers")).toMatch(/X-Hermes-Session-Id/);
        expect(preflight.headers.get("access-control-max-age")).toBe("600");
        expect(preflight.headers.get("vary")).toMatch(/\bOrigin\b/);

        const foreignPreflight = await fetch(`${proxy.url}${path}`, {
          method: "OPTIONS",
          headers: { origin: "https://evil.example", "access-control-request-method": method },
        });
        expect(foreignPreflight.status, `${where}, foreign preflight`).toBe(403);
        expect(foreignPreflight.headers.get("access-control-allow-origin")).toBeNull();
        await foreignPreflight.body?.cancel();
      }
    });
  }
});
