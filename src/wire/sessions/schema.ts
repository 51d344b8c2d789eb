import { z } from "zod";
import { limits } from "../limits.ts";
import { queryInteger, queryParam } from "../query-schemas.ts";
import { boolish, imageUrl, sessionIdSchema } from "../shared-schemas.ts";

export { sessionIdSchema };

/**
 * The Sessions API's request shapes (`/api/sessions*`), as the original server reads them. Which
 * stable code a bad field gets (`invalid_session_id`, `invalid_title`, …) is decided in `decode.ts`.
 */

// oxlint-disable-next-line no-control-regex -- control characters are exactly what is being refused
const controlCharacters = /[\u0000-\u001f\u007f-\u009f]/;

/** A title: up to 200 printable characters; empty or null clears it. */
export const titleSchema = z
  .string()
  .max(200, "Titles are at most 200 characters")
  .refine((title) => !controlCharacters.test(title), "Titles must be printable (no control characters)")
  .nullable();

export const createSessionSchema = z.object({
  id: sessionIdSchema.optional(),
  session_id: sessionIdSchema.optional(),
  title: titleSchema.optional(),
  model: z.string().min(1).max(256).optional(),
  system_prompt: z.string().max(limits.textLength).optional(),
});

/** Only these may change; any other field is a 400 `unsupported_session_field` naming it. */
export const patchSessionSchema = z.strictObject({
  title: titleSchema.optional(),
  ended: boolish.optional(),
});

export const forkSessionSchema = z.object({
  id: sessionIdSchema.optional(),
  session_id: sessionIdSchema.optional(),
  title: titleSchema.optional(),
});

const text = z.string().max(limits.textLength);

const partSchema = z.union([
  z.object({ type: z.enum(["text", "input_text"]), text }),
  z.object({ type: z.literal("input_image"), image_url: imageUrl, detail: z.enum(["auto", "low", "high"]).optional() }),
  z.object({ type: z.literal("image_url"), image_url: z.object({ url: imageUrl, detail: z.enum(["auto", "low", "high"]).optional() }) }),
]);

/** The user message of one session chat turn: text, or parts (text and images). */
export const chatMessageSchema = z.union([text, z.array(partSchema).max(limits.partsPerMessage)]);

export const sessionChatSchema = z.object({
  message: chatMessageSchema.optional(),
  input: chatMessageSchema.optional(),
  instructions: text.nullish(),
  system_message: text.nullish(),
  model: z.string().min(1).max(256).nullish(),
});

const offset = queryParam(queryInteger(0, Number.MAX_SAFE_INTEGER, "Expected a whole number").default(0));

/** `GET /api/sessions` paging: `limit` 1-200 (default 50), `offset`, an opaque `after` cursor. */
export const listSessionsQuerySchema = z.object({
  limit: queryParam(queryInteger(1, 200).default(50)),
  offset,
  after: queryParam(z.string().max(1024).optional()),
});

/** `GET /api/sessions/{id}/messages` paging: `limit` 1-500 (default 500), `offset`. */
export const listMessagesQuerySchema = z.object({
  limit: queryParam(queryInteger(1, 500).default(500)),
  offset,
});

export type ChatMessage = z.infer<typeof chatMessageSchema>;
