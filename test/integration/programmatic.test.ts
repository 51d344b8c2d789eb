import { describe, expect, it } from "vitest";
import { createHermes, hermesConfigSchema } from "../../src/index.ts";
import { sseJson } from "../helpers/sse.ts";

describe("programmatic API: createHermes(config).fetch", () => {
  it("serves the same app in process, plain and streamed", async () => {
    const hermes = await createHermes(hermesConfigSchema.parse({ storage: "memory" }));
    expect(hermes.upstreamKind).toBe("echo");
    const body = (stream: boolean) => JSON.stringify({ stream, messages: [{ role: "user", content: "in process" }] });
    const plain = await hermes.fetch(new Request("http://local/v1/chat/completions", { method: "POST", body: body(false) }));
    expect(plain.status).toBe(200);
    expect(((await plain.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe("in process");
    const streamed = await hermes.fetch(new Request("http://local/v1/chat/completions", { method: "POST", body: body(true) }));
    const chunks = sseJson<{ choices: { delta: { content?: string } }[] }>(await streamed.text());
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")).toBe("in process");
    await hermes.close();
  });
});
