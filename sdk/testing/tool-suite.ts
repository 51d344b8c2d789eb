import { describe, expect, it } from "vitest";
import { type HermesTool, parseToolArguments, type ToolContext } from "../../src/plugin-api/index.ts";
import { type SuiteSkip, skipReason } from "./skips.ts";
import { callTool, type ToolCallResult } from "./tool-context.ts";

/** What `testTool` needs to know about a tool. */
export interface ToolSuiteOptions {
  /** Argument objects the tool must accept and run without an error output; at least one. */
  valid: readonly unknown[];
  /** Argument objects (or raw JSON strings) its parameters must reject. @default [] */
  invalid?: readonly unknown[];
  /** More checks on each valid call's result. */
  check?: (result: ToolCallResult, args: unknown) => void | Promise<void>;
  /** The session the calls run in. @default "session_test" */
  sessionId?: string;
  /**
   * Context for each call of a valid example, e.g. a storage seeded with what the call needs.
   * @default a fresh, empty in-memory storage per call
   */
  context?: () => Partial<ToolContext> | Promise<Partial<ToolContext>>;
  skip?: readonly SuiteSkip[];
}

/**
 * The conformance suite every tool passes, first-party or not: a definition the upstream accepts, a
 * schema that takes the valid examples and refuses the invalid ones with a message for the model,
 * results the model can read, labels that fit a line, and no hang when the run is cancelled. Call it
 * inside a vitest test file.
 *
 * @example
 * // test/my-tool.test.ts
 * import { testTool } from "hermes-proxy/sdk/testing";
 * import { weather } from "../src/weather.ts";
 *
 * testTool(weather, {
 *   valid: [{ city: "Paris" }],
 *   invalid: [{}, { city: 42 }],
 *   check: ({ output }) => expect(JSON.parse(output)).toHaveProperty("temperature"),
 * });
 */
export function testTool(tool: HermesTool, options: ToolSuiteOptions): void {
  const contextFor = async (): Promise<Partial<ToolContext>> => ({ sessionId: options.sessionId ?? "session_test", ...(await options.context?.()) });
  const test = (name: string, body: () => void | Promise<void>) => {
    const reason = skipReason(options.skip, name);
    if (reason === undefined) it(name, body);
    else it.skip(`${name} (skipped: ${reason})`, body);
  };

  describe(`tool ${String(tool?.name)} (hermes-proxy conformance)`, () => {
    test("is a tool the model can call by name", () => {
      expect(tool.kind).toBe("tool");
      expect(tool.name).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
      expect(tool.description.trim().length).toBeGreaterThan(0);
      expect(typeof tool.execute).toBe("function");
      expect(options.valid.length, "testTool needs at least one valid example").toBeGreaterThan(0);
    });

    test("publishes an object JSON Schema an upstream accepts", () => {
      expect(tool.jsonSchema.type).toBe("object");
      expect(tool.jsonSchema).not.toHaveProperty("$schema");
      expect(JSON.parse(JSON.stringify(tool.jsonSchema))).toEqual(tool.jsonSchema);
    });

    test("accepts its valid examples", () => {
      for (const args of options.valid) expect(parseToolArguments(tool, JSON.stringify(args)), JSON.stringify(args)).toMatchObject({ ok: true });
    });

    test("refuses its invalid examples with a message naming the tool", () => {
      for (const args of options.invalid ?? []) {
        const parsed = parseToolArguments(tool, typeof args === "string" ? args : JSON.stringify(args));
        expect(parsed.ok, JSON.stringify(args)).toBe(false);
        if (!parsed.ok) expect(parsed.message).toContain(tool.name);
      }
    });

    test("answers each valid example with text or JSON", async () => {
      for (const args of options.valid) {
        const result = await callTool(tool, args, await contextFor());
        expect(result.isError, result.output).toBe(false);
        expect(typeof result.output).toBe("string");
        await options.check?.(result, args);
      }
    });

    test("labels a call in one short line", () => {
      if (!tool.label) return;
      for (const args of options.valid) {
        const parsed = parseToolArguments(tool, JSON.stringify(args));
        if (!parsed.ok) continue;
        const label = tool.label(parsed.args);
        expect(typeof label).toBe("string");
        expect(label.length).toBeGreaterThan(0);
        expect(label.length).toBeLessThanOrEqual(200);
        expect(label).not.toContain("\n");
      }
    });

    test("settles when its run is already cancelled", async () => {
      const controller = new AbortController();
      controller.abort(new Error("cancelled by the test"));
      const limit = Math.min(tool.timeoutMs ?? 5_000, 5_000);
      const settled = callTool(tool, options.valid[0], { ...(await contextFor()), signal: controller.signal }).then(() => "settled");
      const timeout = new Promise((resolve) => setTimeout(() => resolve("hung"), limit));
      expect(await Promise.race([settled, timeout])).toBe("settled");
    });
  });
}
