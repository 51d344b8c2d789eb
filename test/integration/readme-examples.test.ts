import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binPath, type RunningCli, startCli } from "../helpers/cli.ts";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { parseSse } from "../helpers/sse.ts";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

/** The first fenced block of `language` after `marker` in the README, as written there. */
function readmeBlock(marker: string, language: string): string {
  const at = readme.indexOf(marker);
  if (at === -1) throw new Error(`README.md no longer has ${marker}`);
  const match = new RegExp("```" + language + "\\n([\\s\\S]*?)```").exec(readme.slice(at));
  if (!match?.[1]) throw new Error(`README.md has no ${language} block after ${marker}`);
  return match[1];
}

/** The variables the quick start's OpenAI line sets before `npm start`. */
function quickStartEnv(): string[] {
  const line = readmeBlock("Point it at a real model", "sh")
    .split("\n")
    .find((text) => text.includes("OPENAI_API_KEY"));
  if (!line) throw new Error("README.md's quick start has no OPENAI_API_KEY line");
  const command = line.split("#")[0]!.trim();
  expect(command.endsWith("npm start")).toBe(true);
  return [...command.matchAll(/(\w+)=\S+/g)].map((match) => match[1]!);
}

/**
 * The README's own examples, run as written against the proxy started the way its quick start says:
 * only `OPENAI_API_KEY` (the fake upstream's key; `OPENAI_BASE_URL` points at it instead of OpenAI)
 * and `npm start`'s command, in an empty directory. Only the port differs: 8642 in the README, a free
 * one here, substituted in the examples' URLs.
 */
describe("the README's examples, with only OPENAI_API_KEY set", () => {
  const key = "sk-readme-upstream-0123456789";
  let upstream: FakeUpstream;
  let cli: RunningCli;
  let cwd: string;
  const here = (text: string) => text.replaceAll("http://127.0.0.1:8642", cli.url);

  beforeAll(async () => {
    expect(quickStartEnv()).toEqual(["OPENAI_API_KEY"]);
    upstream = await startFakeUpstream({ apiKey: key });
    cwd = mkdtempSync(join(tmpdir(), "hermes-readme-"));
    cli = await startCli(process.execPath, [binPath, "--port", "0"], { cwd, env: { OPENAI_API_KEY: key, OPENAI_BASE_URL: upstream.url } });
  });
  afterAll(async () => {
    cli?.child.kill("SIGTERM");
    await cli?.exited;
    await upstream?.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  it("answers the openai SDK example, hermes-agent going upstream as the default OpenAI model", async () => {
    upstream.reset();
    upstream.enqueue({ text: "Hello from the README." });
    const code = readmeBlock("**The `openai` SDK**", "ts");
    expect(code).toContain('model: "hermes-agent"');
    // The block's own `import` is the one thing a function body cannot hold: the same module, passed in.
    const body = code.replace(/^import OpenAI from "openai";\n/m, "");
    const run = new Function("OpenAI", "process", `return (async () => {\n${here(body)}\nreturn completion;\n})();`) as (
      openai: typeof OpenAI,
      process: { env: Record<string, string | undefined> },
    ) => Promise<OpenAI.ChatCompletion>;
    const completion = await run(OpenAI, { env: {} });
    expect(completion.choices[0]?.message.content).toBe("Hello from the README.");
    expect(completion.model).toBe("hermes-agent");

    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]?.headers.authorization).toBe(`Bearer ${key}`);
    expect(upstream.requests[0]?.body).toMatchObject({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }] });
    // Stored as the quick start's default storage keeps it: files under ./.hermes.
    expect(readdirSync(join(cwd, ".hermes"), { recursive: true }).some((name) => String(name).includes("session"))).toBe(true);
  });

  it("streams the curl example", async () => {
    upstream.reset();
    upstream.enqueue({ text: "hello back" });
    const command = readmeBlock("**curl**", "sh");
    expect(command).toContain('"model":"hermes-agent"');
    const { stdout } = await promisify(execFile)("bash", ["-c", here(command)], { timeout: 15_000 });
    const frames = parseSse(stdout);
    expect(frames.at(-1)?.data).toBe("[DONE]");
    const text = frames
      .filter((frame) => frame.data !== "[DONE]")
      .map((frame) => (JSON.parse(frame.data) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? "")
      .join("");
    expect(text).toBe("hello back");
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]?.body).toMatchObject({ model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: "hello there" }] });
  });

  it("still sends any other model name upstream as it is", async () => {
    upstream.reset();
    upstream.enqueue({ text: "direct" });
    const client = new OpenAI({ baseURL: `${cli.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: "fake-model-mini", messages: [{ role: "user", content: "x" }] });
    expect(completion.model).toBe("fake-model-mini");
    expect(upstream.requests[0]?.body).toMatchObject({ model: "fake-model-mini" });
  });
});
