import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

type Content = CallToolResult["content"][number];

/**
 * An MCP tool result as the text the model reads. Text as it is; an image, audio or binary resource
 * as a one-line note of its type and size, since a function call's output carries text only (and a
 * base64 blob would spend the model's context on noise); an embedded text resource with its URI; a
 * resource link as its URI. With no content, the structured result as JSON.
 *
 * @example
 * resultText({ content: [{ type: "text", text: "42" }] }); // "42"
 */
export function resultText(result: Pick<CallToolResult, "content" | "structuredContent">): string {
  const parts = (result.content ?? []).map(contentText).filter((part) => part !== "");
  if (parts.length === 0 && result.structuredContent !== undefined) return JSON.stringify(result.structuredContent);
  return parts.join("\n");
}

function contentText(content: Content): string {
  switch (content.type) {
    case "text":
      return content.text;
    case "image":
      return `[image: ${content.mimeType}, ${base64Bytes(content.data)} bytes]`;
    case "audio":
      return `[audio: ${content.mimeType}, ${base64Bytes(content.data)} bytes]`;
    case "resource": {
      const { resource } = content;
      if ("text" in resource && typeof resource.text === "string") return `[resource: ${resource.uri}]\n${resource.text}`;
      const blob = "blob" in resource && typeof resource.blob === "string" ? resource.blob : "";
      return `[resource: ${resource.uri}, ${resource.mimeType ?? "binary"}, ${base64Bytes(blob)} bytes]`;
    }
    case "resource_link":
      return `[resource link: ${content.name} ${content.uri}${content.mimeType ? ` (${content.mimeType})` : ""}]`;
    default:
      return "";
  }
}

/** The decoded size of base64 text, without decoding it. */
function base64Bytes(data: string): number {
  const padding = data.endsWith("==") ? 2 : data.endsWith("=") ? 1 : 0;
  return Math.max(0, Math.floor((data.length * 3) / 4) - padding);
}
