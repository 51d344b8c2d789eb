import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface RouteEntry {
  path: string;
  methods: string[];
}

/**
 * The route table of src/server/app.ts, read from its source: the security matrices run over every
 * route the app declares, so a route added later is covered without anyone remembering to list it.
 */
export function declaredRoutes(): RouteEntry[] {
  const source = readFileSync(fileURLToPath(new URL("../../../src/server/app.ts", import.meta.url)), "utf8");
  const start = source.indexOf("const routes: RouteTable = {");
  const end = source.indexOf("\n  };", start);
  if (start === -1 || end === -1) throw new Error("route table not found in src/server/app.ts: update test/integration/security/route-table.ts");
  const routes: RouteEntry[] = [];
  for (const line of source.slice(start, end).split("\n")) {
    const path = /^\s*"(\/[^"]*)":/.exec(line)?.[1];
    if (!path) continue;
    const methods = [...line.matchAll(/\b(GET|POST|DELETE|PATCH)\s*:/g)].map((match) => match[1]!);
    routes.push({ path, methods });
  }
  return routes;
}

/** A concrete URL path for a route pattern. */
export function concretePath(pattern: string): string {
  return pattern.replaceAll(":id", "resp_missing");
}

/** Routes a load balancer calls without a key. */
export const publicPaths = new Set(["/health", "/v1/health", "/health/ready"]);
