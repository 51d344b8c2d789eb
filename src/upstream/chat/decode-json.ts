import { randomId } from "../../utils/index.ts";
import type { HermesEvent } from "../../protocol/index.ts";
import type { NewId } from "../../utils/index.ts";
import { upstreamError } from "../http-errors.ts";
import { ChatStreamDecoder } from "./decode-stream.ts";
import { type ChatCompletion, chatCompletionSchema } from "./schema.ts";

/**
 * A non-stream Chat Completions body to the same events a stream of it would give: the message is
 * replayed through the stream decoder as one chunk, so both paths share every rule. Pure.
 */
export function decodeChatJson(body: unknown, newId: NewId = randomId): HermesEvent[] {
  const { choices, usage } = parseCompletion(body);
  const { message, finish_reason } = choices[0]!;
  const decoder = new ChatStreamDecoder(newId);
  const events: HermesEvent[] = [];
  // Read by `chatCompletionSchema` already: the message's fields are a delta's, so the chunk schema is not asked again.
  decoder.pushChunk(
    {
      choices: [
        {
          delta: {
            ...message,
            tool_calls: message.tool_calls?.map((call, index) => ({ index, id: call.id, function: call.function })),
          },
          // A whole body is a finished answer even when a server leaves the reason out.
          finish_reason: finish_reason || "stop",
        },
      ],
      usage,
    },
    events,
  );
  decoder.end(events);
  return events;
}

/** `chatCompletionSchema`'s verdict: the fields read, or a 502 that says why the body is unusable. */
function parseCompletion(body: unknown): ChatCompletion {
  const parsed = chatCompletionSchema.safeParse(body);
  if (parsed.success) return parsed.data;
  // Some gateways answer 200 with an error envelope; its message says more than "unreadable".
  const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
  throw upstreamError(typeof message === "string" ? `The upstream failed: ${message}` : "The upstream sent an unreadable completion", parsed.error);
}
