import { definePlugin, defineTool, type HermesPlugin, z } from "../../sdk/index.ts";
import { calculatorLimits, evaluate } from "./parser.ts";

export { CalculationError, evaluate } from "./parser.ts";

/**
 * `tool-calculator`: exact arithmetic for a model that is bad at it. The expression is parsed by a
 * fixed grammar, never run as code.
 *
 * @example
 * import calculator from "hermes-proxy/plugins/tool-calculator";
 * export default defineConfig({ plugins: [calculator()] });
 */
export default function calculator(): HermesPlugin {
  const calculate = defineTool({
    name: "calculate",
    description:
      "Evaluates an arithmetic expression exactly. Supports + - * / % ^ (power), parentheses, pi, e, and sqrt, abs, round, floor, ceil, sin, cos, tan, ln, log (base 10), exp, min, max. Example: (2.5 + 3) * sqrt(16) ^ 2",
    parameters: z.object({
      expression: z.string().min(1).max(calculatorLimits.length).describe("The expression, e.g. 12 * (3 + 4) / 7"),
    }),
    emoji: "🧮",
    label: ({ expression }) => `Calculating ${expression.length > 60 ? `${expression.slice(0, 57)}...` : expression}`,
    execute: ({ expression }) => ({ expression, result: evaluate(expression) }),
  });
  return definePlugin({ name: "tool-calculator", tools: [calculate] });
}
