import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { expect, it } from "vitest";

/**
 * No promise is left without an owner: a storage or network error in work nobody awaits must never
 * become an unhandled rejection (Node exits on one). Every statement in src/, sdk/ and plugins/ that
 * starts a promise and drops it — `work();`, `void work();` — must end in its handler: `.catch(…)` or
 * `.then(onFulfilled, onRejected)`. Awaited and returned promises are their caller's.
 */

const root = fileURLToPath(new URL("..", import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts"))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Ends in its own rejection handler. */
function handled(expression: ts.Expression): boolean {
  const inner = ts.skipPartiallyEmittedExpressions(expression);
  if (ts.isParenthesizedExpression(inner)) return handled(inner.expression);
  if (!ts.isCallExpression(inner) || !ts.isPropertyAccessExpression(inner.expression)) return false;
  const method = inner.expression.name.text;
  return method === "catch" || (method === "then" && inner.arguments.length >= 2);
}

it("every promise a statement drops has a rejection handler", { timeout: 120_000 }, () => {
  expect(droppedPromises([join(root, "test/fixtures/floating-promises/dropped.ts")]).map((line) => line.split(": ")[0])).toEqual(
    [6, 7, 8, 9].map((line) => `test/fixtures/floating-promises/dropped.ts:${line}`),
  );
  expect(droppedPromises([...sources("src"), ...sources("sdk"), ...sources("plugins")])).toEqual([]);
});

/** `file:line: statement` of each promise dropped without a handler in `files`. */
function droppedPromises(files: string[]): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, "tsconfig.json"), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  const program = ts.createProgram(files, { ...config!.options, noEmit: true });
  const checker = program.getTypeChecker();
  const isPromise = (node: ts.Expression) => {
    const type = checker.getTypeAtLocation(node);
    const then = type.getProperty("then");
    return then !== undefined && checker.getTypeOfSymbolAtLocation(then, node).getCallSignatures().length > 0;
  };
  const dropped: string[] = [];
  for (const file of files) {
    const source = program.getSourceFile(file)!;
    const report = (node: ts.Node) => {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
      dropped.push(`${relative(root, file)}:${line + 1}: ${node.getText(source).split("\n")[0]}`);
    };
    const visit = (node: ts.Node): void => {
      if (ts.isExpressionStatement(node)) {
        let expression = node.expression;
        if (ts.isVoidExpression(expression)) expression = expression.expression;
        // Stored (`this.pending = work()`): its holder awaits it.
        const stored =
          ts.isBinaryExpression(expression) &&
          expression.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
          expression.operatorToken.kind <= ts.SyntaxKind.LastAssignment;
        if (!stored && !ts.isAwaitExpression(expression) && isPromise(expression) && !handled(expression)) report(node);
      }
      // A callback whose caller ignores what it returns (a timer, an event listener): `() => work()`.
      if (ts.isArrowFunction(node) && !ts.isBlock(node.body)) {
        let body: ts.Expression = node.body;
        if (ts.isVoidExpression(body)) body = body.expression;
        const contextual = checker.getContextualType(node);
        const ignored = contextual?.getCallSignatures().some((signature) => (signature.getReturnType().flags & ts.TypeFlags.Void) !== 0);
        if (ignored && isPromise(body) && !handled(body)) report(node);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return dropped;
}
