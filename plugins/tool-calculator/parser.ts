/**
 * A small arithmetic evaluator: a recursive-descent parser over a fixed grammar, so that nothing the
 * model writes is ever run as code (no eval, no Function).
 *
 *   expression := term (("+" | "-") term)*
 *   term       := unary (("*" | "/" | "%") unary)*
 *   unary      := ("+" | "-") unary | power
 *   power      := primary ("^" unary)?          (right-associative: 2^3^2 = 2^9)
 *   primary    := number | constant | function "(" arguments ")" | "(" expression ")"
 */

const functions: Record<string, { arity: [number, number]; apply: (...args: number[]) => number }> = {
  sqrt: { arity: [1, 1], apply: Math.sqrt },
  abs: { arity: [1, 1], apply: Math.abs },
  round: { arity: [1, 1], apply: Math.round },
  floor: { arity: [1, 1], apply: Math.floor },
  ceil: { arity: [1, 1], apply: Math.ceil },
  sin: { arity: [1, 1], apply: Math.sin },
  cos: { arity: [1, 1], apply: Math.cos },
  tan: { arity: [1, 1], apply: Math.tan },
  ln: { arity: [1, 1], apply: Math.log },
  log: { arity: [1, 1], apply: Math.log10 },
  exp: { arity: [1, 1], apply: Math.exp },
  min: { arity: [1, 100], apply: Math.min },
  max: { arity: [1, 100], apply: Math.max },
};

const constants: Record<string, number> = { pi: Math.PI, e: Math.E };

/** Longest expression and deepest nesting accepted: bounds the work one call can ask for. */
export const calculatorLimits = { length: 1_000, depth: 64 } as const;

type Token = { kind: "number"; value: number } | { kind: "name"; value: string } | { kind: "symbol"; value: string };

/** An expression the parser rejects, with a message the model can act on. */
export class CalculationError extends Error {
  override name = "CalculationError";
}

/**
 * Evaluates an arithmetic expression: numbers, `+ - * / % ^`, parentheses, `pi`, `e` and the
 * functions sqrt, abs, round, floor, ceil, sin, cos, tan, ln, log (base 10), exp, min, max.
 *
 * @throws {CalculationError} on a syntax error, an unknown name, division by zero or a non-finite result.
 * @example
 * evaluate("2 * (3 + 4) ^ 2"); // 98
 */
export function evaluate(expression: string): number {
  if (expression.length > calculatorLimits.length) throw new CalculationError(`The expression is longer than ${calculatorLimits.length} characters`);
  const tokens = tokenize(expression);
  let position = 0;
  let depth = 0;

  const peek = () => tokens[position];
  const isSymbol = (value: string) => peek()?.kind === "symbol" && peek()?.value === value;
  const expect = (value: string) => {
    if (!isSymbol(value)) throw new CalculationError(`Expected "${value}" ${where()}`);
    position++;
  };
  const where = () => (position < tokens.length ? `at token ${position + 1}` : "at the end");
  const nested = <T>(parse: () => T): T => {
    if (++depth > calculatorLimits.depth) throw new CalculationError(`The expression nests deeper than ${calculatorLimits.depth} levels`);
    try {
      return parse();
    } finally {
      depth--;
    }
  };

  const parseExpression = (): number =>
    nested(() => {
      let value = parseTerm();
      while (isSymbol("+") || isSymbol("-")) {
        const operator = (tokens[position++] as Token).value;
        const right = parseTerm();
        value = operator === "+" ? value + right : value - right;
      }
      return value;
    });

  const parseTerm = (): number => {
    let value = parseUnary();
    while (isSymbol("*") || isSymbol("/") || isSymbol("%")) {
      const operator = (tokens[position++] as Token).value;
      const right = parseUnary();
      if ((operator === "/" || operator === "%") && right === 0) throw new CalculationError("Division by zero");
      value = operator === "*" ? value * right : operator === "/" ? value / right : value % right;
    }
    return value;
  };

  const parseUnary = (): number =>
    nested(() => {
      if (isSymbol("-")) {
        position++;
        return -parseUnary();
      }
      if (isSymbol("+")) {
        position++;
        return parseUnary();
      }
      return parsePower();
    });

  const parsePower = (): number => {
    const base = parsePrimary();
    if (!isSymbol("^")) return base;
    position++;
    return base ** parseUnary();
  };

  const parsePrimary = (): number => {
    const token = peek();
    if (!token) throw new CalculationError("The expression ends too early");
    position++;
    if (token.kind === "number") return token.value;
    if (token.kind === "symbol") {
      if (token.value !== "(") throw new CalculationError(`Unexpected "${token.value}" ${where()}`);
      const value = parseExpression();
      expect(")");
      return value;
    }
    const name = token.value.toLowerCase();
    // Own keys only: `constructor` or `__proto__` must not reach Object.prototype.
    if (Object.hasOwn(constants, name) && !isSymbol("(")) return constants[name] as number;
    const fn = Object.hasOwn(functions, name) ? functions[name] : undefined;
    if (!fn) throw new CalculationError(`Unknown name "${token.value}"; functions are ${Object.keys(functions).join(", ")}; constants are pi, e`);
    expect("(");
    const args = [parseExpression()];
    while (isSymbol(",")) {
      position++;
      args.push(parseExpression());
    }
    expect(")");
    const [least, most] = fn.arity;
    if (args.length < least || args.length > most) throw new CalculationError(`${name}() takes ${least === most ? least : `${least} to ${most}`} argument(s)`);
    return fn.apply(...args);
  };

  const result = parseExpression();
  if (position < tokens.length) throw new CalculationError(`Unexpected "${(tokens[position] as Token).value}" ${where()}`);
  if (!Number.isFinite(result)) throw new CalculationError("The result is not a finite number");
  return result;
}

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|([-+*/%^(),]))/y;
  let index = 0;
  while (index < expression.length) {
    if (/^\s*$/.test(expression.slice(index))) break;
    pattern.lastIndex = index;
    const match = pattern.exec(expression);
    if (!match) throw new CalculationError(`Unexpected character "${expression.slice(index).trim()[0]}" at position ${index + 1}`);
    index = pattern.lastIndex;
    if (match[1] !== undefined) tokens.push({ kind: "number", value: Number(match[1]) });
    else if (match[2] !== undefined) tokens.push({ kind: "name", value: match[2] });
    else tokens.push({ kind: "symbol", value: match[3] as string });
  }
  if (tokens.length === 0) throw new CalculationError("The expression is empty");
  return tokens;
}
