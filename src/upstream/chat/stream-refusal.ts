import { HermesError } from "../../protocol/index.ts";

/**
 * Messages that say the model or server cannot stream, as upstreams word it when they name no `param`:
 * "Stream is not supported", "streaming is not supported for this model", "Streaming not available",
 * "This model does not support streaming", "'stream' does not support true with this model" (OpenAI's,
 * which also sets `param: "stream"`). Each needs `stream` or `streaming` as a word *and* a refusal
 * next to it: a message that merely mentions a stream (a tool named `stream_logs`, "the stream of
 * tool results") is an ordinary 400, not a reason to call again and stop streaming for good.
 */
const refusalMessages = [
  // "Stream is not supported", "streaming not available", "stream mode is unsupported".
  /\bstream(?:ing)?['"]?(?: mode| output| responses?)? (?:is |are )?(?:not |un)(?:supported|available|allowed|enabled)\b/i,
  // "does not support streaming", "cannot stream", "can't stream responses".
  /\b(?:does not|doesn't|do not|don't|cannot|can't|can not) (?:support )?stream(?:ing)?\b/i,
  // OpenAI: "Unsupported value: 'stream' does not support true with this model."
  /['"]stream['"] does not support\b/i,
];

/**
 * A 400 that refuses streaming itself: `param` names `stream` (OpenAI), or `stream_options` (servers
 * that reject the usage option we stream with: the non-stream call sends neither), or the message
 * says streaming is unsupported. Only then is the step sent again without streaming and the model
 * remembered as non-streaming; any other 400 goes to the client as it is, after one call.
 *
 * @example
 * refusesStreaming(new HermesError("Stream is not supported", { status: 400 })); // true
 * refusesStreaming(new HermesError("Invalid tool 'stream_logs'", { status: 400 })); // false
 */
export function refusesStreaming(error: unknown): boolean {
  if (!HermesError.is(error) || error.status !== 400) return false;
  if (error.param === "stream" || error.param === "stream_options") return true;
  // A 400 about another parameter is about that parameter, whatever its message says of streams.
  if (error.param !== null) return false;
  return refusalMessages.some((pattern) => pattern.test(error.message));
}
