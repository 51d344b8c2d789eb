/**
 * What the fake upstream answers, pre-rendered once per shape so that the upstream costs as little
 * CPU as possible (it shares the load generator's core). The model name in the request picks the
 * answer, so the proxy under test and the pipe proxy reach the same reply without any routing of
 * their own: `bench-json`, `bench-auto-N`, `bench-burst-N`, `bench-paced-N`.
 */

export const CREATED = 1_700_000_000;

/** The text of chunk `i`: numbered, so a client can tell a lost or reordered frame. */
export function token(i: number): string {
  return `tok${i} `;
}

/** The whole answer of an `n`-chunk reply. */
export function answerText(n: number): string {
  let text = "";
  for (let i = 0; i < n; i++) text += token(i);
  return text;
}

/** Chunks in the answer of a non-stream reply, and of `bench-json` (so every scenario checks the same text). */
export const JSON_CHUNKS = 48;

export type ReplyKind = "json" | "auto" | "burst" | "paced";

export interface ReplyShape {
  kind: ReplyKind;
  chunks: number;
}

/** Reads the reply shape from the model name; anything else is a plain JSON answer. */
export function replyShape(model: string | undefined): ReplyShape {
  const match = /^bench-(json|auto|burst|paced)(?:-(\d+))?$/.exec(model ?? "");
  if (!match) return { kind: "json", chunks: JSON_CHUNKS };
  return { kind: match[1] as ReplyKind, chunks: match[2] ? Number(match[2]) : JSON_CHUNKS };
}

const usage = (n: number) => ({ prompt_tokens: 42, completion_tokens: n, total_tokens: 42 + n });

/** A `chat.completion` body, as OpenAI lays it out. */
export function jsonBody(model: string, n: number): Buffer {
  return Buffer.from(
    JSON.stringify({
      id: "chatcmpl-bench",
      object: "chat.completion",
      created: CREATED,
      model,
      choices: [{ index: 0, message: { role: "assistant", content: answerText(n), refusal: null }, logprobs: null, finish_reason: "stop" }],
      usage: usage(n),
      system_fingerprint: "fp_bench",
    }),
  );
}

/**
 * The SSE frames of an `n`-chunk stream: the first carries the role and the first token (so that
 * "first byte" means the same thing through every hop), then one token per frame, then the finish,
 * the usage chunk and `[DONE]` together as the last frame.
 */
export function streamFrames(model: string, n: number): Buffer[] {
  const head = `{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":${CREATED},"model":${JSON.stringify(model)},"system_fingerprint":"fp_bench","choices":[`;
  const chunk = (delta: object, finish: string | null) =>
    `data: ${head}{"index":0,"delta":${JSON.stringify(delta)},"logprobs":null,"finish_reason":${JSON.stringify(finish)}}]}\n\n`;
  const frames: string[] = [];
  for (let i = 0; i < n; i++) frames.push(chunk(i === 0 ? { role: "assistant", content: token(0) } : { content: token(i) }, null));
  const tail = chunk({}, "stop") + `data: ${head}],"usage":${JSON.stringify(usage(n))}}\n\n` + "data: [DONE]\n\n";
  frames.push(tail);
  return frames.map((frame) => Buffer.from(frame));
}
