import { answerText, token } from "./replies.ts";

/** Answer checks for the Responses API (`/v1/responses`), as `checks.ts` does for Chat Completions. */

export function checkResponsesJson(text: string, chunks: number): string | undefined {
  let body: { output?: { type?: string; content?: { type?: string; text?: string }[] }[] };
  try {
    body = JSON.parse(text);
  } catch {
    return `not JSON: ${text.slice(0, 200)}`;
  }
  let content = "";
  for (const item of body.output ?? [])
    if (item.type === "message") for (const part of item.content ?? []) if (part.type === "output_text") content += part.text ?? "";
  return content === answerText(chunks) ? undefined : `wrong output_text: ${JSON.stringify(content).slice(0, 200)}`;
}

/** Every `response.output_text.delta` in order, `sequence_number` increasing, `response.completed` last. */
export function checkResponsesStream(text: string, chunks: number): string | undefined {
  let next = 0;
  let sequence = -1;
  let completed = false;
  for (const frame of text.split("\n\n")) {
    const data = frame
      .split("\n")
      .find((line) => line.startsWith("data: "))
      ?.slice(6);
    if (data === undefined || data === "[DONE]") continue;
    let event: { type?: string; delta?: string; sequence_number?: number };
    try {
      event = JSON.parse(data);
    } catch {
      return `an event that is not JSON: ${data.slice(0, 200)}`;
    }
    if (completed) return "an event after response.completed";
    if (typeof event.sequence_number !== "number" || event.sequence_number <= sequence) return `sequence_number out of order at ${event.type}`;
    sequence = event.sequence_number;
    if (event.type === "response.completed") completed = true;
    else if (event.type === "response.failed" || event.type === "error") return `a ${event.type} event: ${data.slice(0, 200)}`;
    else if (event.type === "response.output_text.delta") {
      if (event.delta !== token(next)) return `delta ${next} is ${JSON.stringify(event.delta)}, expected ${JSON.stringify(token(next))}`;
      next++;
    }
  }
  if (next !== chunks) return `${next} of ${chunks} deltas arrived`;
  return completed ? undefined : "no response.completed";
}
