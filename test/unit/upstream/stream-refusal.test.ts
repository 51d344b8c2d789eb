import { describe, expect, it } from "vitest";
import { HermesError } from "../../../src/protocol/index.ts";
import { refusesStreaming } from "../../../src/upstream/chat/stream-refusal.ts";

const rejection = (message: string, param: string | null = null, status = 400) => new HermesError(message, { status, code: "upstream_rejected", param });

describe("refusesStreaming", () => {
  it.each([
    ["Unsupported value: 'stream' does not support true with this model. Supported values are: false.", "stream"],
    ["Your organization must be verified to stream this model.", "stream"],
    ["The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options"],
    ["Stream is not supported", null],
    ["streaming is not supported for this model", null],
    ["Streaming not available for o1-preview", null],
    ["This model does not support streaming.", null],
    ["'stream' does not support true with this model.", null],
    ["stream mode is unsupported on this endpoint", null],
  ])("a refusal: %s (param %s)", (message, param) => {
    expect(refusesStreaming(rejection(message, param))).toBe(true);
  });

  it.each([
    ["Invalid 'tools[0].function.name': the tool 'stream_logs' has an invalid schema.", null],
    ["The stream of tool results must follow the assistant message with tool_calls.", null],
    ["Upstream stream provider returned an invalid model name", null],
    ["This model's maximum context length is 8192 tokens; reduce the length of the messages or the stream.", "messages"],
    ["Streaming is not supported with n > 1", "n"],
    ["A livestream transcript is not supported as input.", null],
  ])("not a refusal: %s (param %s)", (message, param) => {
    expect(refusesStreaming(rejection(message, param))).toBe(false);
  });

  it("is only ever a 400", () => {
    expect(refusesStreaming(rejection("Stream is not supported", "stream", 422))).toBe(false);
    expect(refusesStreaming(new Error("Stream is not supported"))).toBe(false);
  });
});
