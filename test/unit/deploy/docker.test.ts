import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { checkStartup } from "../../../src/config/guards.ts";
import { resolveConfig } from "../../../src/config/resolve.ts";
import { repoRoot } from "../../helpers/cli.ts";

/**
 * Docker is not available where the suite runs, so the Dockerfile and docker-compose.yml are checked
 * as files: the Dockerfile's stages, user, port and command, and the compose environment resolved
 * through the proxy's own config pipeline (the contract the container is started with).
 */

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** The Dockerfile's instructions by stage: continuation lines joined, comments dropped. */
function parseDockerfile(text: string): Stage[] {
  const lines = text.replace(/\\\n/g, " ").split("\n");
  const stages: Stage[] = [];
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const [, keyword = "", args = ""] = /^(\S+)\s*(.*)$/.exec(trimmed) ?? [];
    if (keyword.toUpperCase() === "FROM") {
      const [, from = "", name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? [];
      stages.push({ from, name, instructions: [] });
      continue;
    }
    stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
  }
  return stages;
}

const dockerfile = parseDockerfile(readFileSync(join(repoRoot, "Dockerfile"), "utf8"));
const runtime = dockerfile.at(-1)!;
/** The runtime stage's `ENV NAME=value …`. */
const dockerEnv: Record<string, string> = Object.fromEntries(
  runtime.instructions
    .filter((instruction) => instruction.keyword === "ENV")
    .flatMap((instruction) => [...instruction.args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!])),
);
const compose = parse(readFileSync(join(repoRoot, "docker-compose.yml"), "utf8"), { merge: true }) as {
  services: Record<
    string,
    {
      image?: string;
      build?: string;
      environment?: Record<string, string>;
      ports?: string[];
      depends_on?: Record<string, { condition: string }>;
      healthcheck?: unknown;
    }
  >;
};
/** `${NAME:?message}` and `${NAME:-default}` as compose fills them in, with the values a deployer sets. */
const deployerEnv: Record<string, string> = { HERMES_API_KEY: "k".repeat(12) + "0123456789abcdefghijklmnop" };
const interpolate = (value: string) =>
  value.replace(
    /\$\{(\w+)(?::([?-])([^}]*))?\}/g,
    (_, name: string, kind?: string, fallback?: string) => deployerEnv[name] ?? (kind === "-" ? (fallback ?? "") : ""),
  );

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), "hermes-docker-"));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe("Dockerfile", () => {
  it("builds in stages on node:20-slim and runs the last one as a non-root user", () => {
    expect(dockerfile.length).toBeGreaterThanOrEqual(2);
    for (const stage of dockerfile) expect(stage.from).toBe("node:20-slim");
    const users = runtime.instructions.filter((instruction) => instruction.keyword === "USER");
    expect(users.length).toBe(1);
    expect(users[0]!.args).not.toMatch(/^(?:root|0)(?::|$)/);
    // The user comes after everything that needs root (copying, chown).
    const userAt = runtime.instructions.indexOf(users[0]!);
    expect(runtime.instructions.slice(userAt).filter((instruction) => instruction.keyword === "RUN")).toEqual([]);
  });

  it("copies only from stages it defines, and the runtime stage has no build step", () => {
    const names = new Set(dockerfile.map((stage) => stage.name));
    for (const stage of dockerfile) {
      for (const instruction of stage.instructions) {
        const from = /--from=(\S+)/.exec(instruction.args)?.[1];
        if (from !== undefined) expect(names).toContain(from);
      }
    }
    expect(runtime.instructions.map((instruction) => instruction.args).join("\n")).not.toMatch(/npm (?:ci|install|run build)/);
  });

  it("exposes the port it listens on and starts the proxy's command line", () => {
    const env = dockerEnv;
    const expose = runtime.instructions.find((instruction) => instruction.keyword === "EXPOSE")?.args;
    expect(expose).toBe(env.HERMES_PORT);
    expect(env.HERMES_HOST).toBe("0.0.0.0");
    const cmd = JSON.parse(runtime.instructions.find((instruction) => instruction.keyword === "CMD")!.args) as string[];
    expect(cmd).toEqual(["node", "node_modules/hermes-proxy/bin/hermes-proxy.mjs"]);
    // The command's path is where `npm install <tarball>` puts the package's bin.
    expect(existsSync(join(repoRoot, "bin/hermes-proxy.mjs"))).toBe(true);
    const healthcheck = runtime.instructions.find((instruction) => instruction.keyword === "HEALTHCHECK")?.args ?? "";
    expect(healthcheck).toContain("/health/ready");
  });

  it("resolves its environment to a valid config that may start", async () => {
    const env = dockerEnv;
    const { config, origins } = await resolveConfig({ env: { ...env, ...deployerEnv }, cwd });
    expect(config.server).toMatchObject({ host: "0.0.0.0", port: 8642 });
    expect(config.storage).toBe("fs:/data");
    for (const name of Object.keys(env).filter((name) => name.startsWith("HERMES_"))) expect([...origins.values()]).toContain(name);
    expect(checkStartup(config).errors).toEqual([]);
  });
});

describe("docker-compose.yml", () => {
  const proxies = Object.entries(compose.services).filter(([, service]) => service.build !== undefined);

  it("runs Redis with a health check and at least two proxies built from the Dockerfile", () => {
    expect(compose.services.redis?.image).toMatch(/^redis:/);
    expect(compose.services.redis?.healthcheck).toBeDefined();
    expect(proxies.length).toBeGreaterThanOrEqual(2);
    for (const [, proxy] of proxies) {
      expect(proxy.build).toBe(".");
      expect(proxy.depends_on?.redis?.condition).toBe("service_healthy");
    }
  });

  it("gives each proxy an environment the config pipeline reads entirely: shared Redis storage, a strong key", async () => {
    const hosts = new Set<string>();
    for (const [name, proxy] of proxies) {
      const environment = Object.fromEntries(Object.entries(proxy.environment ?? {}).map(([key, value]) => [key, interpolate(String(value))]));
      const { config, origins } = await resolveConfig({ env: { ...dockerEnv, ...environment }, cwd });
      expect(config.storage, name).toBe("redis://redis:6379/0");
      // Every HERMES_ variable that is set is one the proxy reads (a misspelt one would be ignored).
      for (const [key, value] of Object.entries(environment)) {
        if (key.startsWith("HERMES_") && value !== "") expect([...origins.values()], `${name}: ${key}`).toContain(key);
      }
      expect(checkStartup(config).errors, name).toEqual([]);
      // Each maps the container's port to its own host port.
      for (const port of proxy.ports ?? []) {
        const [host, container] = port.split(":");
        expect(Number(container)).toBe(config.server.port);
        expect(hosts.has(host!)).toBe(false);
        hosts.add(host!);
      }
    }
  });

  it("refuses to start without an API key instead of exposing an open proxy", () => {
    const key = String(proxies[0]![1].environment?.HERMES_API_KEY);
    expect(key).toMatch(/^\$\{HERMES_API_KEY:\?.+\}$/);
  });
});
