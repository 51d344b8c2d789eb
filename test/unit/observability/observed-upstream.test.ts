import { describe, expect, it } from "vitest";
import { HermesError, type HermesEvent } from "../../../src/protocol/index.ts";
import { type RunInfo, type UpstreamCall, type UpstreamCallResult } from "../../../src/plugin-api/index.ts";
import { createEchoUpstream } from "../../../src/upstream/echo/index.ts";
import { observeUpstream } from "../../../src/upstream/observed.ts";
import type { Upstream } from "../../../src/upstream/types.ts";

const input = {
  model: "m",
  items: [{ type: "message" as const, role: "user" as const, content: [{ type: "input_text" as const, text: "one two" }] }],
  tools: [],
};
const run: RunInfo = { runId: "run_1", sessionId: undefined, model: "advertised", input, requestId: "req_1" };

function watch(upstream: Upstream) {
  const seen: { call: UpstreamCall; result?: UpstreamCallResult }[] = [];
  const observed = observeUpstream(upstream, {
    name: "local",
    observers: {
      onUpstreamStart: (call) => void seen.push({ call }),
      onUpstreamEnd: (call, result) => void (seen.find((entry) => entry.call === call)!.result = result),
    },
  });
  return { observed, seen };
}

async function drain(batches: AsyncIterable<HermesEvent[]>) {
  for await (const _batch of batches);
}

describe("observeUpstream", () => {
  it("reports each call's start, first byte, usage and end, as the same call object", async () => {
    const { observed, seen } = watch(createEchoUpstream());
    await drain(observed.stream(input, { signal: new AbortController().signal, run, attempt: 1 }));
    expect(seen).toHaveLength(1);
    expect(seen[0]?.call).toMatchObject({ upstream: "local", api: "echo", model: "m", attempt: 1, origin: undefined });
    expect(seen[0]?.result).toMatchObject({ outcome: "ok", finishReason: "stop", usage: { inputTokens: 2, outputTokens: 2 }, error: undefined });
    expect(seen[0]?.result?.firstByteMs).toBeLessThanOrEqual(seen[0]!.result!.durationMs);
  });

  it("reports a failure with its error, and an abort as aborted", async () => {
    const failing: Upstream = {
      kind: "chat",
      baseURL: "https://user:pass@api.example.com:8443/v1?key=1",
      async *stream() {
        throw new HermesError("The upstream failed (HTTP 500)", { status: 502, code: "upstream_error" });
      },
      async close() {},
    };
    const { observed, seen } = watch(failing);
    await expect(drain(observed.stream(input, { signal: new AbortController().signal, run }))).rejects.toThrow("HTTP 500");
    expect(seen[0]?.call.origin).toBe("https://api.example.com:8443");
    expect(seen[0]?.result).toMatchObject({ outcome: "error", firstByteMs: undefined, error: { code: "upstream_error", status: 502 } });

    const controller = new AbortController();
    controller.abort();
    await expect(drain(observed.stream(input, { signal: controller.signal, run }))).rejects.toThrow();
    expect(seen[1]?.result).toMatchObject({ outcome: "aborted", error: undefined });
  });

  it("leaves calls outside a run unobserved, and an upstream bare when nothing observes calls", async () => {
    const { observed, seen } = watch(createEchoUpstream());
    await drain(observed.stream(input, { signal: new AbortController().signal }));
    expect(seen).toEqual([]);
    const echo = createEchoUpstream();
    expect(observeUpstream(echo, { name: "x", observers: { onToolCall: () => {} } })).toBe(echo);
  });
});
