import fc from "fast-check";
import { expect } from "vitest";
import type { Hermes } from "../../src/index.ts";

/** A POST route and a valid body to mutate: mutations of valid bodies reach deeper than random JSON. */
export interface FuzzRoute {
  path: string;
  valid: Record<string, unknown>;
}

export const postRoutes: FuzzRoute[] = [
  {
    path: "/v1/chat/completions",
    valid: {
      model: "m",
      messages: [
        { role: "system", content: "s" },
        {
          role: "user",
          content: [
            { type: "text", text: "hi" },
            { type: "image_url", image_url: { url: "https://x/y.png" } },
          ],
        },
        { role: "assistant", content: null, tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "c", content: "r" },
      ],
      tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
      stream: false,
      temperature: 1,
      response_format: { type: "json_schema", json_schema: { name: "n", schema: { type: "object" } } },
    },
  },
  {
    path: "/v1/responses",
    valid: {
      model: "m",
      input: [
        { role: "user", content: [{ type: "input_text", text: "hi" }] },
        { type: "function_call", call_id: "c", name: "f", arguments: "{}" },
        { type: "function_call_output", call_id: "c", output: "o" },
      ],
      instructions: "i",
      tools: [{ type: "function", name: "f", parameters: { type: "object" } }],
      text: { format: { type: "text" } },
      truncation: "auto",
      store: false,
    },
  },
  { path: "/v1/runs", valid: { input: "hi", instructions: "i", session_id: "s", model: "m" } },
  {
    path: "/v1/conversations",
    valid: {
      metadata: { k: "v" },
      items: [
        { type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] },
        { type: "function_call", call_id: "c", name: "f", arguments: "{}" },
        { type: "function_call_output", call_id: "c", output: "o" },
      ],
    },
  },
];

/** Paths that take an id from the client: every one must answer 2xx/4xx whatever the id holds. */
export const idPaths = [
  (id: string) => ["GET", `/v1/responses/${id}`],
  (id: string) => ["DELETE", `/v1/responses/${id}`],
  (id: string) => ["GET", `/v1/responses/${id}/input_items?limit=5&order=asc`],
  (id: string) => ["POST", `/v1/responses/${id}/cancel`],
  (id: string) => ["GET", `/v1/runs/${id}`],
  (id: string) => ["POST", `/v1/runs/${id}/stop`],
  (id: string) => ["GET", `/v1/conversations/${id}`],
  (id: string) => ["DELETE", `/v1/conversations/${id}`],
  (id: string) => ["GET", `/v1/conversations/${id}/items?limit=5&order=asc`],
  (id: string) => ["GET", `/v1/conversations/${id}/items/${id}`],
  (id: string) => ["DELETE", `/v1/conversations/${id}/items/${id}`],
] as const;

const hostile = fc.constantFrom("..", "../..", "a:b", "a/b", "%2e%2e", "resp_x/../../etc", "\u202e", "💥", "a\\b", "*", ":", "", "\ud800", "a\udfffb");

/** Replaces the value at one random path of `valid` with anything. */
function mutate(valid: unknown): fc.Arbitrary<unknown> {
  const paths: (string | number)[][] = [];
  const walk = (value: unknown, path: (string | number)[]) => {
    paths.push(path);
    if (Array.isArray(value)) value.forEach((child, index) => walk(child, [...path, index]));
    else if (value && typeof value === "object") for (const [key, child] of Object.entries(value)) walk(child, [...path, key]);
  };
  walk(valid, []);
  const replacement = fc.oneof(fc.anything(), hostile, fc.string({ maxLength: 3 }), fc.constant(null), fc.integer(), fc.boolean());
  return fc.tuple(fc.constantFrom(...paths.filter((path) => path.length > 0)), replacement).map(([path, value]) => {
    const copy = structuredClone(valid) as Record<string | number, unknown>;
    let target = copy;
    for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
    target[path.at(-1)!] = value;
    return copy;
  });
}

/** Request bodies as bytes: random JSON, mutated valid bodies, hostile shapes, invalid UTF-8. */
export function bodies(route: FuzzRoute): fc.Arbitrary<Uint8Array> {
  const encoder = new TextEncoder();
  const text = fc.oneof(
    { weight: 4, arbitrary: mutate(route.valid).map((value) => JSON.stringify(value) ?? "null") },
    { weight: 2, arbitrary: fc.json() },
    { weight: 1, arbitrary: fc.string() },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 5_000 }).map((depth) => `${"[".repeat(depth)}${"]".repeat(depth)}`) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 5_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`) },
    // Duplicate keys: JSON.parse keeps the last, which must still be validated.
    { weight: 1, arbitrary: fc.anything().map((value) => JSON.stringify(route.valid).replace(/^\{/, `{"model":${JSON.stringify(value) ?? "1"},`)) },
    { weight: 1, arbitrary: fc.integer({ min: 100_000, max: 400_000 }).map((size) => JSON.stringify({ ...route.valid, instructions: "x".repeat(size) })) },
  );
  return fc.oneof({ weight: 9, arbitrary: text.map((value) => encoder.encode(value)) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) });
}

/**
 * Header values as a server sees them: any bytes but CR, LF and NUL (which no HTTP parser passes on),
 * non-ASCII text arriving as its UTF-8 bytes read one per character, as Node presents them.
 */
export const headerValue = fc
  .oneof(fc.string({ unit: "grapheme", maxLength: 300 }), fc.string({ unit: "binary", maxLength: 50 }), hostile)
  .map((value) => Buffer.from(value.replace(/[\r\n\0]/g, ""), "utf8").toString("latin1"));

/** Sends one request in process and checks the contract: never a 5xx, every error in the envelope. */
export async function expectClientError(hermes: Hermes, request: Request): Promise<void> {
  const response = await hermes.fetch(request);
  const text = await response.text();
  if (response.status >= 500) throw new Error(`${request.method} ${new URL(request.url).pathname} → ${response.status}: ${text.slice(0, 300)}`);
  if (response.status >= 400) {
    const body = JSON.parse(text) as { error?: Record<string, unknown> };
    expect(Object.keys(body.error ?? {}).sort()).toEqual(["code", "message", "param", "type"]);
  }
}

/** How many cases per property: a few hundred in the normal suite, 10,000 with `npm run fuzz`. */
export const fuzzRuns = Number(process.env.FUZZ_RUNS ?? 200);
