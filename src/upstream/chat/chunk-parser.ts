/**
 * Parses the `data` of Chat Completions stream chunks, re-parsing only the part that changes. The
 * chunks of one stream repeat the same envelope (id, object, created, model, fingerprint, choice
 * index, `logprobs`, `finish_reason: null`) around a small `delta`; parsing that envelope again for
 * every token costs several times the delta itself (per chunk in `chat-burst64-50` and
 * `chat-paced64-10`, docs/performance.md). So the first ordinary chunk is parsed whole and
 * its text split around the delta value; a later chunk with the same text before and after is read
 * by parsing its delta alone (`delta`), which the decoder takes as it is: no chunk object is rebuilt
 * around it only to be taken apart again.
 *
 * That is exact, not a guess: the split is checked by parsing the envelope around a probe value
 * (which proves the span holds the very `delta` a full parse reads, whatever duplicate keys or
 * spacing the upstream uses), and a JSON value put in place of another leaves every other part of
 * the document as it was. Anything else (first chunks, usage and finish chunks, other layouts) is
 * parsed whole, so what the decoder reads (`choices[0].delta`, `finish_reason`, `usage`, `error`)
 * never differs from what `JSON.parse` would give it.
 */
export class ChatChunkParser {
  #prefix = "";
  #suffix = "";
  #known = false;
  /** Envelopes learnt so far: a stream whose layout keeps changing stops trying. */
  #learnt = 0;

  /**
   * The `delta` of a chunk in the envelope learnt, parsed alone; `undefined` when the chunk has to be
   * parsed whole (`chunk`). A delta read here comes from a chunk with one choice, no finish reason, no
   * usage and no error: the decoder needs nothing else of it, so no chunk object is built around it.
   */
  delta(data: string): object | undefined {
    if (!this.#known) return undefined;
    const prefix = this.#prefix;
    const suffix = this.#suffix;
    const end = data.length - suffix.length;
    // Slices compared with ===, not startsWith: V8 falls back to a slow path for startsWith on the
    // sliced strings an SSE parser hands out, and it costs more than the parse it saves.
    if (end > prefix.length && data.slice(0, prefix.length) === prefix && data.slice(end) === suffix) return parseObject(data.slice(prefix.length, end));
    return undefined;
  }

  /** Parses a whole chunk, learning its envelope when it is an ordinary one; throws a SyntaxError as `JSON.parse` does. */
  chunk(data: string): unknown {
    const chunk: unknown = JSON.parse(data);
    if (this.#learnt < maxEnvelopes && isOrdinary(chunk)) this.#learn(data);
    return chunk;
  }

  /** One chunk as the decoder reads it (`delta` rebuilt into the shape `JSON.parse` gives, else `chunk`). */
  parse(data: string): unknown {
    const delta = this.delta(data);
    if (delta !== undefined) return { choices: [{ delta, finish_reason: null }], usage: null };
    return this.chunk(data);
  }

  #learn(data: string): void {
    const key = data.indexOf('"delta"');
    if (key === -1 || data.indexOf('"delta"', key + 1) !== -1) return;
    let start = skipSpace(data, key + 7);
    if (data.charCodeAt(start) !== COLON) return;
    start = skipSpace(data, start + 1);
    const end = objectEnd(data, start);
    if (end === -1) return;
    const prefix = data.slice(0, start);
    const suffix = data.slice(end);
    let probe: unknown;
    try {
      probe = JSON.parse(`${prefix}{${JSON.stringify(PROBE)}:1}${suffix}`);
    } catch {
      return;
    }
    if (!isOrdinary(probe) || (probe.choices[0].delta as Record<string, unknown>)[PROBE] !== 1) return;
    this.#prefix = prefix;
    this.#suffix = suffix;
    this.#known = true;
    this.#learnt++;
  }
}

const maxEnvelopes = 4;
const PROBE = "\u0000hermes-probe";
const COLON = 58;

interface Ordinary {
  choices: [{ delta: object; finish_reason?: null }];
  usage?: null;
  error?: null;
}

/** A chunk with one choice, a delta object and nothing that ends or fails the stream. */
function isOrdinary(chunk: unknown): chunk is Ordinary {
  if (typeof chunk !== "object" || chunk === null) return false;
  const { choices, usage, error } = chunk as Record<string, unknown>;
  if (usage != null || error != null || !Array.isArray(choices) || choices.length !== 1) return false;
  const choice = choices[0] as Record<string, unknown> | null;
  if (typeof choice !== "object" || choice === null || choice.finish_reason != null) return false;
  return typeof choice.delta === "object" && choice.delta !== null && !Array.isArray(choice.delta);
}

function parseObject(text: string): object | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof value === "object" && value !== null && !Array.isArray(value) ? value : undefined;
}

function skipSpace(text: string, index: number): number {
  for (;;) {
    const code = text.charCodeAt(index);
    if (code !== 32 && code !== 9 && code !== 10 && code !== 13) return index;
    index++;
  }
}

/** The index just past the JSON object starting at `start`, or -1. */
function objectEnd(text: string, start: number): number {
  if (text.charCodeAt(start) !== 123) return -1;
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 34) {
      // Skip a string, escapes included.
      for (i++; i < text.length; i++) {
        const inner = text.charCodeAt(i);
        if (inner === 92) i++;
        else if (inner === 34) break;
      }
    } else if (code === 123 || code === 91) depth++;
    else if (code === 125 || code === 93) {
      if (--depth === 0) return i + 1;
    }
  }
  return -1;
}
