import { describe, expect, it } from "vitest";
import calculator, { evaluate } from "../../plugins/tool-calculator/index.ts";
import { callTool, testTool } from "../../sdk/testing.ts";

const tool = calculator().tools[0]!;

testTool(tool, {
  valid: [{ expression: "1 + 2" }, { expression: "sqrt(16) * pi" }],
  invalid: [{}, { expression: "" }, { expression: 5 }],
  check: ({ output }) => expect(typeof JSON.parse(output).result).toBe("number"),
});

describe("tool-calculator", () => {
  it.each([
    ["1 + 2 * 3", 7],
    ["(1 + 2) * 3", 9],
    ["2 ^ 3 ^ 2", 512],
    ["-2 ^ 2", -4],
    ["(-2) ^ 2", 4],
    ["10 / 4", 2.5],
    ["10 % 4", 2],
    ["--3", 3],
    ["1.5e3 + .5", 1500.5],
    ["max(1, 7, 3) - min(4, 2)", 5],
    ["round(2.5) + floor(-1.5) + ceil(1.1) + abs(-3)", 6],
    ["log(1000) + ln(e)", 4],
    ["2 * (3 + (4 - 1) * (2 + 2))", 30],
  ])("%s = %d", (expression, expected) => {
    expect(evaluate(expression)).toBeCloseTo(expected, 10);
  });

  it.each([
    ["1 / 0", "Division by zero"],
    ["1 +", "The expression ends too early"],
    ["(1 + 2", 'Expected ")" at the end'],
    ["1 2", 'Unexpected "2" at token 2'],
    ["foo(1)", 'Unknown name "foo"'],
    ["process.exit()", "Unexpected character"],
    ["constructor", 'Unknown name "constructor"'],
    ["__proto__", 'Unknown name "__proto__"'],
    ["sqrt(1, 2)", "sqrt() takes 1 argument(s)"],
    ["10 ^ 400", "The result is not a finite number"],
    ["   ", "The expression is empty"],
    ["(".repeat(100) + "1" + ")".repeat(100), "nests deeper than 64 levels"],
  ])("refuses %s", (expression, message) => {
    expect(() => evaluate(expression)).toThrow(message);
  });

  it("answers the model with the result, or with what is wrong", async () => {
    expect(JSON.parse((await callTool(tool, { expression: "6 * 7" })).output)).toEqual({ expression: "6 * 7", result: 42 });
    expect(await callTool(tool, { expression: "1/0" })).toEqual({ isError: true, output: "Error from calculate: Division by zero" });
  });
});
