import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * The import rules of style.md §3.3, read from the source tree rather than remembered:
 * - `plugins/` imports only the SDK (`sdk/` or `hermes-proxy/sdk`), its own folder and packages;
 * - `sdk/` reaches into `src/` only for `src/protocol`, `src/plugin-api` and `src/utils` (plus the config schema's types);
 * - `src/protocol` imports nothing else from `src/`, and holds the spec alone;
 * - `src/wire`, `src/agent` and `src/protocol` use no Node built-ins, no h3, no `process`/`Buffer`;
 * - only `src/server` imports h3 or srvx (the runtime knows no HTTP);
 * - each folder of `src/` imports only the folders below it in `layers`, so the flow of design.md
 *   (server → wire / runtime → agent → upstream, state beside) is the tree's, and folders form no cycle.
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
const isSrvx = (specifier: string) => specifier === "srvx" || specifier.startsWith("srvx/");
const describeImport = (entry: Import) => `${entry.file} imports "${entry.specifier}"`;

const all = ["src", "sdk", "plugins"].flatMap(sourceFiles).flatMap(importsOf);

/**
 * Who may import whom, bottom up: a folder lists every folder it may import (its own is always
 * allowed). `protocol` is the spec; `plugin-api` the contracts plugins implement; `state` stores its
 * own records; `wire` holds the pure client codecs; `runtime` the turns and runs between decode and
 * encode; `server` the HTTP edge. The single files at the top of `src/` (index, cli, version) may
 * import anything.
 */
const layers: Record<string, string[]> = {
  "src/protocol": [],
  "src/utils": [],
  "src/plugin-api": ["src/protocol", "src/utils"],
  "src/config": ["src/protocol", "src/plugin-api", "src/utils"],
  "src/state": ["src/protocol", "src/plugin-api", "src/utils", "src/config", "plugins"],
  "src/plugins": ["src/protocol", "src/plugin-api", "src/utils", "src/config", "src/state"],
  "src/wire": ["src/protocol", "src/utils"],
  "src/upstream": ["src/protocol", "src/plugin-api", "src/utils", "src/config", "src/plugins"],
  "src/agent": ["src/protocol", "src/plugin-api", "src/utils", "src/plugins", "src/upstream"],
  "src/observability": ["src/protocol", "src/plugin-api", "src/utils", "src/config", "src/plugins", "src/upstream"],
  "src/runtime": ["src/protocol", "src/plugin-api", "src/utils", "src/config", "src/state", "src/plugins", "src/wire", "src/upstream", "src/agent"],
  "src/jobs": ["src/protocol", "src/plugin-api", "src/utils", "src/config", "src/state", "src/wire", "src/upstream", "src/runtime"],
  "src/server": [
    "src/protocol",
    "src/plugin-api",
    "src/utils",
    "src/config",
    "src/state",
    "src/plugins",
    "src/wire",
    "src/upstream",
    "src/agent",
    "src/observability",
    "src/runtime",
    "src/jobs",
  ],
};

/** `src/<folder>` for a file in one, `plugins` for the first-party plugins, undefined for the files at the top of `src/`. */
function folderOf(path: string): string | undefined {
  const parts = path.split("/");
  if (parts[0] === "plugins") return "plugins";
  if (parts[0] !== "src" || parts.length < 3) return undefined;
  return `src/${parts[1]}`;
}

/** Every cycle in a directed graph, each as the path that closes it (depth-first, colours). */
function cyclesOf(edges: Map<string, Set<string>>): string[] {
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const visit = (node: string, path: string[]) => {
    state.set(node, "open");
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === "open") cycles.push([...path.slice(path.indexOf(next)), node, next].join(" → "));
      else if (!state.has(next)) visit(next, [...path, node]);
    }
    state.set(node, "done");
  };
  for (const node of edges.keys()) if (!state.has(node)) visit(node, []);
  return cycles;
}

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

  it("sdk/ reaches into src/ only for the spec, the plugin contracts and the utilities (and the config schema's types)", () => {
    const offending = all.filter(
      (entry) =>
        entry.file.startsWith("sdk/") &&
        under(entry.target, "src") &&
        !["src/protocol", "src/plugin-api", "src/utils"].some((folder) => under(entry.target, folder)) &&
        !(entry.typeOnly && entry.target === "src/config/schema.ts"),
    );
    expect(offending.map(describeImport)).toEqual([]);
  });

  it("src/protocol holds the spec alone: events, items, run input, the folded run, usage, errors", () => {
    const files = sourceFiles("src/protocol").map((file) => file.slice("src/protocol/".length));
    expect(files.sort()).toEqual(["errors.ts", "events.ts", "index.ts", "items.ts", "run-input.ts", "run-result.ts", "usage.ts"]);
  });

  it("each folder of src/ imports only the folders below it", () => {
    const offending = all.filter((entry) => {
      const from = folderOf(entry.file);
      const to = entry.target === undefined ? undefined : folderOf(entry.target);
      if (from === undefined || to === undefined || from === to || !(from in layers)) return false;
      return !layers[from]!.includes(to);
    });
    expect(offending.map(describeImport)).toEqual([]);
  });

  it("folders import each other in no cycle", () => {
    const edges = new Map<string, Set<string>>();
    for (const entry of all) {
      const from = folderOf(entry.file);
      const to = entry.target === undefined ? undefined : folderOf(entry.target);
      if (from === undefined || to === undefined || from === to) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)!.add(to);
    }
    expect(cyclesOf(edges)).toEqual([]);
  });

  it("src/protocol is a leaf: it imports nothing else from src/", () => {
    const offending = all.filter((entry) => entry.file.startsWith("src/protocol/") && under(entry.target, "src") && !under(entry.target, "src/protocol"));
    expect(offending.map(describeImport)).toEqual([]);
  });

  it("src/wire, src/agent and src/protocol use no Node built-ins and no h3", () => {
    const offending = all.filter((entry) => /^src\/(?:wire|agent|protocol)\//.test(entry.file) && (isNodeBuiltin(entry.specifier) || isH3(entry.specifier)));
    expect(offending.map(describeImport)).toEqual([]);
  });

  it("src/wire, src/agent and src/protocol do not reach for process or Buffer", () => {
    const offending = ["src/wire", "src/agent", "src/protocol"]
      .flatMap(sourceFiles)
      .filter((file) => /\bprocess\.|\bBuffer\./.test(readFileSync(join(root, file), "utf8").replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, "")));
    expect(offending).toEqual([]);
  });

  it("only src/server imports h3 or srvx", () => {
    const offending = all.filter(
      (entry) => (isH3(entry.specifier) || isSrvx(entry.specifier)) && !entry.file.startsWith("src/server/") && !entry.file.startsWith("src/cli/"),
    );
    expect(offending.map(describeImport)).toEqual([]);
  });
});
