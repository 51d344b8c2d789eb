import { answerText, token } from "./replies.ts";

/**
 * What a right answer looks like, for any hop (direct, pipe, hermes): they all speak Chat
 * Completions, so one check covers them. Returns a reason when the answer is wrong.
 */

/** A non-stream body: the whole answer, once. */
export function checkJson(text: string, chunks: number): string | undefined {
  let body: { choices?: { message?: { content?: unknown } }[] };
  try {
    body = JSON.parse(text);
  } catch {
    return `not JSON: ${text.slice(0, 200)}`;
  }
  const content = body.choices?.[0]?.message?.content;
  return content === answerText(chunks) ? undefined : `wrong content: ${JSON.stringify(content).slice(0, 200)}`;
}

/** An SSE stream: every token in its own frame, in order, nothing else in `content`, `[DONE]` last. */
export function checkStream(text: string, chunks: number): string | undefined {
  let next = 0;
  let done = false;
  for (const frame of text.split("\n\n")) {
    if (frame === "" || frame.startsWith(":")) continue;
    const data = frame
      .split("\n")
      .find((line) => line.startsWith("data: "))
      ?.slice(6);
    if (data === undefined) continue;
    if (done) return "a frame after [DONE]";
    if (data === "[DONE]") {
      done = true;
      continue;
    }
    let chunk: { choices?: { delta?: { content?: unknown } }[]; error?: unknown };
    try {
      chunk = JSON.parse(data);
    } catch {
      return `a frame that is not JSON: ${data.slice(0, 200)}`;
    }
    if (chunk.error) return `an error frame: ${data.slice(0, 200)}`;
    const content = chunk.choices?.[0]?.delta?.content;
    if (typeof content !== "string" || content === "") continue;
    if (content !== token(next)) return `frame ${next} holds ${JSON.stringify(content)}, expected ${JSON.stringify(token(next))}`;
    next++;
  }
  if (next !== chunks) return `${next} of ${chunks} tokens arrived`;
  return done ? undefined : "no [DONE]";
}
