import type { z } from "zod";
import { type ContentPart, HermesError, type Item } from "../../protocol/index.ts";
import { toRequestError, type ZodIssues } from "../zod-error.ts";
import { type ChatMessage, createSessionSchema, forkSessionSchema, patchSessionSchema, sessionChatSchema, sessionIdSchema } from "./schema.ts";

/** Decoded Sessions API requests; a bad one throws a 400 HermesError with a stable code naming the field. */

/** The stable code for a bad field, by the field's name (the original server's codes). */
const fieldCodes: Record<string, string> = {
  id: "invalid_session_id",
  session_id: "invalid_session_id",
  title: "invalid_title",
  message: "missing_message",
  input: "missing_message",
  system_message: "invalid_system_message",
  instructions: "invalid_system_message",
  system_prompt: "invalid_system_prompt",
  limit: "invalid_pagination",
  offset: "invalid_pagination",
  after: "invalid_pagination",
};

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw toSessionsError(parsed.error);
}

/**
 * zod's issues as the Sessions API's 400: the stable code of the bad field (`invalid_pagination`,
 * `invalid_title`, …), else `toRequestError`'s. Also what the paging routes give h3's `getValidatedQuery`.
 */
export function toSessionsError(error: ZodIssues): HermesError {
  const { message, param, code } = toRequestError(error);
  const field = error.issues[0]?.path[0];
  const fieldCode = typeof field === "string" ? fieldCodes[field] : undefined;
  return new HermesError(message, { status: 400, code: fieldCode ?? code, param });
}

function fail(message: string, code: string, param: string | null): never {
  throw new HermesError(message, { status: 400, code, param });
}

/** A session id from the path. */
export function decodeSessionId(raw: string): string {
  const parsed = sessionIdSchema.safeParse(raw);
  if (!parsed.success) fail(`Invalid session id: ${parsed.error.issues[0]?.message ?? "not a valid id"}`, "invalid_session_id", "id");
  return raw;
}

/** `POST /api/sessions`: `id` (or `session_id`), `title`, `model`, `system_prompt`; all optional. */
export function decodeCreateSession(body: unknown) {
  const request = parse(createSessionSchema, body);
  return {
    id: request.id ?? request.session_id,
    title: emptyAsNull(request.title),
    model: request.model,
    systemPrompt: request.system_prompt,
  };
}

/** `PATCH /api/sessions/{id}`: `title` and `ended` only. */
export function decodePatchSession(body: unknown): { title?: string | null; ended?: boolean } {
  const parsed = patchSessionSchema.safeParse(body);
  const unsupported = parsed.error?.issues.flatMap((issue) => (issue.code === "unrecognized_keys" ? issue.keys : [])) ?? [];
  if (unsupported.length > 0)
    fail(
      `Unsupported session field${unsupported.length > 1 ? "s" : ""} ${unsupported.map((key) => `'${key}'`).join(", ")}: only 'title' and 'ended' can change`,
      "unsupported_session_field",
      unsupported.join(","),
    );
  const { title, ended } = parsed.success ? parsed.data : parse(patchSessionSchema, body);
  return { ...(title !== undefined && { title: emptyAsNull(title) }), ...(ended !== undefined && { ended }) };
}

/** `POST /api/sessions/{id}/fork`: an optional `id` (or `session_id`) and `title`; the body itself is optional. */
export function decodeForkSession(body: unknown): { id: string | undefined; title: string | null | undefined } {
  const request = parse(forkSessionSchema, body ?? {});
  return { id: request.id ?? request.session_id, title: emptyAsNull(request.title) };
}

export interface DecodedSessionChat {
  /** The new user message, as a history item. */
  message: Item;
  /** The same message as the stream's `run.started` shows it. */
  content: ChatMessage;
  instructions: string | undefined;
  model: string | undefined;
}

/** `POST /api/sessions/{id}/chat[/stream]`: `message` (or `input`), with visible content; `instructions` (or `system_message`). */
export function decodeSessionChat(body: unknown): DecodedSessionChat {
  const request = parse(sessionChatSchema, body);
  const content = request.message ?? request.input;
  const parts = content === undefined ? [] : toParts(content);
  if (!parts.some((part) => part.type === "input_image" || part.text.trim() !== ""))
    fail("Missing 'message' field: send the user's message as text or content parts", "missing_message", "message");
  return {
    message: { type: "message", role: "user", content: parts },
    content: content!,
    instructions: request.instructions ?? request.system_message ?? undefined,
    model: request.model ?? undefined,
  };
}

function emptyAsNull<T extends string | null | undefined>(title: T): T | null {
  return typeof title === "string" && title.trim() === "" ? null : title;
}

function toParts(content: ChatMessage): ContentPart[] {
  if (typeof content === "string") return [{ type: "input_text", text: content }];
  return content.map((part): ContentPart => {
    if (part.type === "image_url")
      return { type: "input_image", image_url: part.image_url.url, ...(part.image_url.detail !== undefined && { detail: part.image_url.detail }) };
    if (part.type === "input_image") return { type: "input_image", image_url: part.image_url, ...(part.detail !== undefined && { detail: part.detail }) };
    return { type: "input_text", text: part.text };
  });
}
