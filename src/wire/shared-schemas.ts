import { z } from "zod";
import { limits, nestsDeeperThan } from "./limits.ts";

/** `true`/`false`, and the strings clients send for them (the original server accepts these too). */
export const boolish = z.preprocess((value) => {
  if (typeof value !== "string") return value;
  const lower = value.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(lower)) return true;
  if (["0", "false", "no", "off"].includes(lower)) return false;
  return value;
}, z.boolean());

/** A JSON Schema object from the client (tool parameters, response formats), bounded in depth. */
export const jsonSchema = z.record(z.string(), z.unknown()).refine((schema) => !nestsDeeperThan(schema, limits.schemaDepth), {
  message: `JSON Schema nests deeper than ${limits.schemaDepth} levels`,
});

/** OpenAI's metadata: at most 16 string pairs, keys up to 64 characters, values up to 512. */
export const metadata = z
  .record(z.string().max(64), z.string().max(512))
  .refine((m) => Object.keys(m).length <= limits.metadataKeys, `'metadata' holds at most ${limits.metadataKeys} keys`);

/** Image URLs the proxy passes on: http(s), or inline `data:image/...`. */
export const IMAGE_URL = /^(https?:\/\/|data:image\/[\w.+-]+[;,])/i;

export const imageUrl = z.string().refine((url) => IMAGE_URL.test(url), {
  message: "Image URLs must be http(s) URLs or data:image/... URLs",
  params: { code: "invalid_image_url" },
});

/** A content part type we recognise but cannot pass on: a 400 with a code the client can act on. */
export function unsupportedPart<const T extends readonly [string, ...string[]]>(types: T) {
  return z.object({ type: z.enum(types) }).superRefine((part, ctx) => {
    ctx.addIssue({
      code: "custom",
      message: `Content parts of type '${part.type}' are not supported`,
      params: { code: "unsupported_content_type" },
    });
  });
}

export const reasoningEffort = z.enum(["none", "minimal", "low", "medium", "high", "xhigh"]);

/**
 * A session id, wherever a client names one (`/api/sessions`, a run's `session_id`, the
 * `X-Hermes-Session-Id` header): 1-256 characters that can travel in an HTTP header, since every turn
 * answers with its session in `X-Hermes-Session-Id`. So: no control characters, nothing beyond
 * U+00FF (an emoji or a lone surrogate would make that answer fail after the turn was stored). One
 * rule for every route, checked before anything is written.
 */
// oxlint-disable-next-line no-control-regex -- control characters are exactly what is being refused
export const SESSION_ID_CHARACTERS = /^[^\u0000-\u001f\u007f\u0100-\uffff]*$/;

export const sessionIdSchema = z
  .string()
  .min(1, "Session ids are 1-256 characters")
  .max(256, "Session ids are 1-256 characters")
  .refine((id) => SESSION_ID_CHARACTERS.test(id), {
    message: "Session ids must be printable and fit in an HTTP header: no control characters, nothing beyond U+00FF",
    params: { code: "invalid_session_id" },
  });
