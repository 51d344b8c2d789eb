/**
 * Bounds on client content, shared by every format: a request inside the body limit can still be
 * shaped to make the proxy do a lot of work, and every bound breached is a 400 naming the field.
 */
export const limits = {
  /** Characters in one text part or string content. */
  textLength: 1_000_000,
  /** Content parts in one message. */
  partsPerMessage: 1_000,
  /** Messages or input items in one request. */
  items: 10_000,
  /** Tools in one request. */
  tools: 128,
  /** Object/array nesting inside a JSON Schema the client sends (tool parameters, response formats). */
  schemaDepth: 32,
  /** Keys in `metadata`; OpenAI allows 16. */
  metadataKeys: 16,
} as const;

/** True when a JSON value nests deeper than `max` objects/arrays. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (max <= 0) return true;
  for (const child of Object.values(value)) if (nestsDeeperThan(child, max - 1)) return true;
  return false;
}
