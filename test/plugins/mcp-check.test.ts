import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, runCli } from "../helpers/cli.ts";
import { fixtureScript } from "../helpers/mcp-fixture.ts";

const CHILD_TOKEN = "child-secret-7a6b5c4d3e2f1a0b";
const HEADER_TOKEN = "header-secret-0f1e2d3c4b5a6978";

describe("hermes-proxy check with MCP servers", () => {
  let cwd: string;
  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), "hermes-mcp-check-"));
    const plugin = JSON.stringify(join(repoRoot, "plugins/mcp/index.ts"));
    const node = JSON.stringify(process.execPath);
    const script = JSON.stringify(fixtureScript);
    await writeFile(
      join(cwd, "hermes.config.ts"),
      `import mcp from ${plugin};
export default {
  plugins: [
    mcp({ name: "good", command: ${node}, args: [${script}], env: { FIXTURE_TOKEN: "${CHILD_TOKEN}" }, allow: ["echo", "count"] }),
    mcp({ name: "bad", command: ${node}, args: [${script}], env: { FIXTURE_FAIL_START: "1", FIXTURE_TOKEN: "${CHILD_TOKEN}" } }),
    mcp({ name: "web", url: "http://user:password-in-url@127.0.0.1:9/mcp", headers: { Authorization: "Bearer ${HEADER_TOKEN}" }, connectTimeoutMs: 2000 }),
  ],
};
`,
    );
  });
  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  it("says in one line per server whether it starts, and prints no secret", async () => {
    const result = await runCli(["check"], { cwd, timeoutMs: 30_000 });
    expect(result.code).toBe(0);
    const lines = result.stderr.split("\n");
    expect(lines).toContain("hermes-proxy: plugin good: started " + process.execPath + ": 9 tools, 2 offered (good__echo, good__count)");
    expect(lines.filter((line) => line.includes("plugin bad"))).toEqual([expect.stringMatching(/^hermes-proxy: warning: plugin bad cannot start: .+/)]);
    expect(lines.filter((line) => line.includes("plugin web"))).toEqual([expect.stringMatching(/^hermes-proxy: warning: plugin web cannot start: .+/)]);
    const config = JSON.parse(result.stdout) as { plugins: { name: string; settings: Record<string, unknown> }[] };
    expect(config.plugins.find((plugin) => plugin.name === "good")?.settings).toMatchObject({ transport: "stdio", env: ["FIXTURE_TOKEN"], startup: "eager" });
    expect(config.plugins.find((plugin) => plugin.name === "web")?.settings).toMatchObject({
      transport: "http",
      url: "http://127.0.0.1:9/mcp",
      headers: ["Authorization"],
    });
    expect(lines).toContainEqual(expect.stringMatching(/plugin bad cannot start: .*last stderr: fixture: refusing to start/));
    for (const secret of [CHILD_TOKEN, HEADER_TOKEN, "user:pw", "password-in-url"]) {
      expect(result.stdout).not.toContain(secret);
      expect(result.stderr).not.toContain(secret);
    }
  });
});
