import { describe, expect, it } from "vitest";
import type { McpConnection } from "../../plugins/mcp/connection.ts";
import { resultText } from "../../plugins/mcp/content.ts";
import mcp from "../../plugins/mcp/index.ts";
import { exposedName, toHermesTools, type ToolRules } from "../../plugins/mcp/to-tool.ts";

/** The pure parts of the mcp plugin: names, filters, approval rules, content as text, options. */

const schema = { type: "object" as const, properties: { path: { type: "string" } }, required: ["path"] };
const tools = [
  { name: "read_file", description: "Reads a file", inputSchema: schema, annotations: { readOnlyHint: true } },
  { name: "write_file", description: "Writes a file", inputSchema: schema },
  { name: "move.file", inputSchema: schema, annotations: { destructiveHint: false } },
  { name: "delete_file", description: "Deletes", inputSchema: schema, annotations: { destructiveHint: true } },
];
const rules = (overrides: Partial<ToolRules> = {}): ToolRules => ({
  server: "fs",
  prefix: "fs__",
  allow: undefined,
  deny: new Set(),
  needsApproval: false,
  timeoutMs: undefined,
  ...overrides,
});
// Never reached: these tests do not call the tools.
const connection = {} as McpConnection;

describe("mcp tools", () => {
  it("names each tool with the prefix, replaces what a tool name cannot hold, and keeps the schema as given", () => {
    const made = toHermesTools(tools, rules(), connection);
    expect(made.map((tool) => tool.name)).toEqual(["fs__read_file", "fs__write_file", "fs__move_file", "fs__delete_file"]);
    expect(made[0]?.jsonSchema).toBe(schema);
    expect(made[2]?.description).toBe("move.file (from the MCP server fs)");
    expect(exposedName("", "x".repeat(80))).toHaveLength(64);
  });

  it("filters with allow and deny, by the server's names", () => {
    expect(
      toHermesTools(tools, rules({ allow: new Set(["read_file", "write_file"]), deny: new Set(["write_file"]) }), connection).map((tool) => tool.name),
    ).toEqual(["fs__read_file"]);
  });

  it("marks approvals by list, for all, by annotations, or by a function", () => {
    const approval = (needsApproval: ToolRules["needsApproval"]) =>
      toHermesTools(tools, rules({ needsApproval }), connection).map((tool) =>
        typeof tool.needsApproval === "function" ? tool.needsApproval({ path: "/etc/passwd" }) : (tool.needsApproval ?? false),
      );
    expect(approval(new Set(["write_file"]))).toEqual([false, true, false, false]);
    expect(approval(true)).toEqual([true, true, true, true]);
    expect(approval("destructive")).toEqual([false, true, false, true]);
    expect(approval((tool, args) => tool === "read_file" && String(args.path).startsWith("/etc"))).toEqual([true, false, false, false]);
  });

  it("turns a result's content into the text the model reads", () => {
    expect(
      resultText({
        content: [
          { type: "text", text: "one" },
          { type: "text", text: "two" },
        ],
      }),
    ).toBe("one\ntwo");
    expect(resultText({ content: [{ type: "image", data: Buffer.from("12345").toString("base64"), mimeType: "image/png" }] })).toBe(
      "[image: image/png, 5 bytes]",
    );
    expect(resultText({ content: [{ type: "audio", data: Buffer.from("123456").toString("base64"), mimeType: "audio/wav" }] })).toBe(
      "[audio: audio/wav, 6 bytes]",
    );
    expect(
      resultText({
        content: [{ type: "resource", resource: { uri: "file:///a.bin", mimeType: "application/pdf", blob: Buffer.from("1234").toString("base64") } }],
      }),
    ).toBe("[resource: file:///a.bin, application/pdf, 4 bytes]");
    expect(resultText({ content: [{ type: "resource_link", name: "report", uri: "file:///r.pdf", mimeType: "application/pdf" }] })).toBe(
      "[resource link: report file:///r.pdf (application/pdf)]",
    );
    expect(resultText({ content: [], structuredContent: { total: 3 } })).toBe('{"total":3}');
  });

  it("refuses options that name no server, or two", () => {
    expect(() => mcp({ name: "x" } as never)).toThrow("mcp(x): give either command (a stdio server) or url (an HTTP server)");
    expect(() => mcp({ name: "x", command: "node", url: "http://a" } as never)).toThrow(/either command/);
    expect(() => mcp({ name: "bad name", command: "node" })).toThrow(/name "bad name" must be/);
    expect(() => mcp({ name: "x", url: "ftp://a" })).toThrow(/http:\/\/ or https:\/\//);
    expect(() => mcp({ name: "x", command: "node", needsApproval: "sometimes" as never })).toThrow(/needsApproval/);
    expect(() => mcp({ name: "x", command: "node", timeoutMs: 0 })).toThrow(/timeoutMs must be a positive integer/);
  });
});
