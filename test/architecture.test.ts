import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * The import rules of style.md §3.3, read from the source tree rather than remembered:
 * - `plugins/` imports only the SDK (`sdk/` or `hermes-proxy/sdk`), its own folder and packages;
 * - `sdk/` reaches into `src/` only for `src/protocol` (plus the config schema's types);
 * - `src/protocol` imports nothing else from `src/`;
 * - `src/wire`, `src/agent` and `src/protocol` use no Node built-ins, no h3, no `process`/`Buffer`;
 * - only `src/server` imports h3.
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

interface Import {
  file: string;
  specifier: string;
  typeOnly: boolean;
  /** Repository-relative target of a relative import. */
  target?: string;
}

function sourceFiles(folder: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(join(root, folder), { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (/\.(?:m|c)?ts$/.test(entry.name) && !entry.name.endsWith(".d.ts")) files.push(path);
  }
  return files;
}

function importsOf(file: string): Import[] {
  const source = ts.createSourceFile(file, readFileSync(join(root, file), "utf8"), ts.ScriptTarget.Latest, true);
  const found: Import[] = [];
  const add = (specifier: string, typeOnly: boolean) => {
    const entry: Import = { file, specifier, typeOnly };
    if (specifier.startsWith(".")) entry.target = relative(root, resolve(root, dirname(file), specifier));
    found.push(entry);
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly =
        clause?.isTypeOnly === true ||
        (clause !== undefined &&
          clause.name === undefined &&
          clause.namedBindings !== undefined &&
          ts.isNamedImports(clause.namedBindings) &&
          clause.namedBindings.elements.length > 0 &&
          clause.namedBindings.elements.every((element) => element.isTypeOnly));
      add(node.moduleSpecifier.text, typeOnly);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (argument && ts.isStringLiteral(argument)) add(argument.text, false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const builtins = new Set(builtinModules);
const isNodeBuiltin = (specifier: string) => specifier.startsWith("node:") || builtins.has(specifier.split("/")[0] as string);
const isH3 = (specifier: string) => specifier === "h3" || specifier.startsWith("h3/");
const under = (path: string | undefined, folder: string) => path !== undefined && (path === folder || path.startsWith(`${folder}/`));
const describeImport = (entry: Import) => `${entry.file} imports "${entry.specifier}"`;

const all = ["src", "sdk", "plugins"].flatMap(sourceFiles).flatMap(importsOf);

describe("architecture: import rules", () => {
  it("reads the tree it is meant to guard", () => {
    expect(all.some((entry) => entry.file.startsWith("plugins/tool-clock/"))).toBe(true);
    expect(all.some((entry) => entry.file === "src/server/app.ts" && entry.specifier === "h3")).toBe(true);
  });

  it("plugins/ import only the SDK, their own folder and packages", () => {
    const offending = all.filter((entry) => {
      if (!entry.file.startsWith("plugins/")) return false;
      const folder = entry.file.split("/").slice(0, 2).join("/");
      if (entry.target !== undefined) return !under(entry.target, "sdk") && !under(entry.target, folder);
      if (entry.specifier.startsWith("hermes-proxy")) return entry.specifier !== "hermes-proxy/sdk";
      return isH3(entry.specifier);
    });
    expect(offending.map(describeImport)).toEqual([]);
  });

  it("sdk/ reaches into src/ only for src/protocol (and the config schema's types)", () => {
    const offending = all.filter(
      (entry) =>
        entry.file.startsWith("sdk/") &&
        under(entry.target, "src") &&
        !under(entry.target, "src/protocol") &&
        !(entry.typeOnly && entry.target === "src/config/schema.ts"),
    );
    expect(offending.map(describeImport)).toEqual([]);
  });

  it("src/protocol is a leaf: it imports nothing else from src/", () => {
    const offending = all.filter((entry) => entry.file.startsWith("src/protocol/") && under(entry.target, "src") && !under(entry.target, "src/protocol"));
    expect(offending.map(describeImport)).toEqual([]);
  });

  it("src/wire, src/agent and src/protocol use no Node built-ins and no h3", () => {
    const offending = all.filter(
      (entry) => /^src\/(?:wire|agent|protocol)\//.test(entry.file) && (isNodeBuiltin(entry.specifier) || isH3(entry.specifier)),
    );
    expect(offending.map(describeImport)).toEqual([]);
  });

  it("src/wire, src/agent and src/protocol do not reach for process or Buffer", () => {
    const offending = ["src/wire", "src/agent", "src/protocol"]
      .flatMap(sourceFiles)
      .filter((file) => /\bprocess\.|\bBuffer\./.test(readFileSync(join(root, file), "utf8").replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, "")));
    expect(offending).toEqual([]);
  });

  it("only src/server imports h3", () => {
    const offending = all.filter((entry) => isH3(entry.specifier) && !entry.file.startsWith("src/server/"));
    expect(offending.map(describeImport)).toEqual([]);
  });
});
