import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineTool, HermesError } from "../../../sdk/index.ts";
import { runAgent } from "../../../src/agent/loop.ts";
import type { HermesEvent, ToolChoice } from "../../../src/protocol/index.ts";
import { registryWith, runOptions, runToEnd, terminalOf, typesOf, userInput } from "../../helpers/agent-run.ts";
import { answer, callTools, fails, hangsAfterText, scriptedUpstream } from "../../helpers/scripted-upstream.ts";

/**
 * The agent loop's step logic against a scripted upstream (no HTTP): what it asks the upstream at
 * each step, how it ends. The same behaviours through a real server are in
 * test/integration/agent-tools.test.ts; every run here is also checked for exactly one terminal event.
 */

const clock = defineTool({
  name: "clock",
  description: "The time in a zone",
  parameters: z.object({ zone: z.string() }),
  emoji: "🕐",
  label: ({ zone }) => `Time in ${zone}`,
  execute: ({ zone }) => `12:00 ${zone}`,
});
const usage = (inputTokens: number, outputTokens: number) => ({ inputTokens, outputTokens, totalTokens: inputTokens + outputTokens });
const user = userInput().items[0]!;

describe("the agent loop's steps", () => {
  it("answers in one step: run.started, the upstream's events, then run.completed with the step's usage", async () => {
    const upstream = scriptedUpstream(answer("It is noon.", usage(10, 3)));
    expect(await runToEnd(upstream)).toEqual([
      { type: "run.started", runId: "run_1", model: "hermes-agent", createdAt: 1700000000 },
      { type: "message.started", itemId: "msg_1" },
      { type: "text.delta", itemId: "msg_1", delta: "It" },
      { type: "text.delta", itemId: "msg_1", delta: " is" },
      { type: "text.delta", itemId: "msg_1", delta: " noon." },
      { type: "message.completed", itemId: "msg_1", text: "It is noon." },
      { type: "step.completed", finishReason: "stop", usage: usage(10, 3) },
      { type: "run.completed", status: "completed", finishReason: "stop", usage: usage(10, 3) },
    ]);
    expect(upstream.calls).toHaveLength(1);
    expect(upstream.calls[0]!.input).toEqual(userInput());
    expect(upstream.calls[0]!.input).not.toHaveProperty("toolChoice");
  });

  it("runs a server tool call, feeds the step and the tool's output back, and ends with the next step's answer", async () => {
    const upstream = scriptedUpstream(
      callTools([{ name: "clock", arguments: { zone: "UTC" }, id: "call_c" }], usage(10, 4), "Let me check."),
      answer("Noon.", usage(20, 2)),
    );
    const events = await runToEnd(upstream, { registry: registryWith([clock]) });
    expect(typesOf(events)).toEqual([
      "run.started",
      ...["message.started", "text.delta", "text.delta", "text.delta", "message.completed"],
      ...["tool.call.started", "tool.call.delta", "tool.call.delta", "tool.call.completed", "step.completed"],
      ...["tool.started", "tool.completed"],
      ...["message.started", "text.delta", "message.completed", "step.completed"],
      "run.completed",
    ]);
    expect(events.filter((event) => event.type === "tool.call.started" || event.type === "tool.call.completed")).toEqual([
      expect.objectContaining({ callId: "call_c", side: "server" }),
      expect.objectContaining({ callId: "call_c", side: "server" }),
    ]);
    expect(events.find((event) => event.type === "tool.started")).toEqual({
      type: "tool.started",
      callId: "call_c",
      name: "clock",
      arguments: '{"zone":"UTC"}',
      emoji: "🕐",
      label: "Time in UTC",
    });
    expect(events.find((event) => event.type === "tool.completed")).toMatchObject({ callId: "call_c", output: "12:00 UTC", isError: false });
    expect(terminalOf(events)).toEqual({ type: "run.completed", status: "completed", finishReason: "stop", usage: usage(30, 6) });

    expect(upstream.calls[0]!.input.tools).toEqual([{ name: "clock", description: "The time in a zone", parameters: clock.jsonSchema }]);
    expect(upstream.calls[1]!.input.items).toEqual([
      user,
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "Let me check." }] },
      { type: "function_call", call_id: "call_c", name: "clock", arguments: '{"zone":"UTC"}' },
      { type: "function_call_output", call_id: "call_c", output: "12:00 UTC" },
    ]);
  });

  it("hands client tool calls back as requires_action, without a second upstream call", async () => {
    const upstream = scriptedUpstream(callTools([{ name: "get_weather", arguments: { city: "Oslo" } }], usage(5, 5)));
    const events = await runToEnd(upstream, { registry: registryWith([clock]), input: userInput({ tools: [{ name: "get_weather" }] }) });
    expect(events.find((event) => event.type === "tool.call.completed")).toMatchObject({ name: "get_weather", side: "client" });
    expect(events.some((event) => event.type === "tool.started")).toBe(false);
    expect(terminalOf(events)).toEqual({ type: "run.completed", status: "requires_action", finishReason: "tool_calls", usage: usage(5, 5) });
    expect(upstream.calls).toHaveLength(1);
    expect(upstream.calls[0]!.input.tools.map((tool) => tool.name)).toEqual(["clock", "get_weather"]);
  });

  it("runs the server call and hands the client call back when one step makes both", async () => {
    const upstream = scriptedUpstream(
      callTools([
        { name: "clock", arguments: { zone: "UTC" } },
        { name: "get_weather", arguments: {} },
      ]),
    );
    const events = await runToEnd(upstream, { registry: registryWith([clock]), input: userInput({ tools: [{ name: "get_weather" }] }) });
    expect(events.filter((event) => event.type === "tool.started").map((event) => event.name)).toEqual(["clock"]);
    expect(events.find((event) => event.type === "tool.completed")).toMatchObject({ name: "clock", isError: false });
    expect(terminalOf(events)).toMatchObject({ type: "run.completed", status: "requires_action", finishReason: "tool_calls" });
    expect(upstream.calls).toHaveLength(1);
  });

  it("stops at maxIterations as incomplete (max_iterations), after exactly that many calls", async () => {
    const loop = () => callTools([{ name: "clock", arguments: { zone: "UTC" } }], usage(1, 1));
    const upstream = scriptedUpstream(loop(), loop(), loop());
    const events = await runToEnd(upstream, { registry: registryWith([clock]), maxIterations: 2 });
    expect(terminalOf(events)).toEqual({
      type: "run.completed",
      status: "incomplete",
      finishReason: "length",
      incompleteReason: "max_iterations",
      usage: usage(2, 2),
    });
    expect(upstream.calls).toHaveLength(2);
    expect(events.filter((event) => event.type === "tool.completed")).toHaveLength(2);
  });

  it.each<[string, ToolChoice | undefined, ToolChoice | undefined]>([
    ["relaxes a forced call of a named tool to auto", { type: "function", name: "clock" }, "auto"],
    ["relaxes required to auto", "required", "auto"],
    ["keeps auto", "auto", "auto"],
    ["keeps none", "none", "none"],
    ["sends no choice when the client gave none", undefined, undefined],
  ])("after a server call, %s", async (_name, first, second) => {
    const upstream = scriptedUpstream(callTools([{ name: "clock", arguments: { zone: "UTC" } }]), answer("Noon."));
    await runToEnd(upstream, { registry: registryWith([clock]), input: userInput(first === undefined ? {} : { toolChoice: first }) });
    expect(upstream.calls[0]!.input.toolChoice).toEqual(first);
    expect(upstream.calls[1]!.input.toolChoice).toEqual(second);
    if (second === undefined) expect(upstream.calls[1]!.input).not.toHaveProperty("toolChoice");
  });

  it("sums usage across steps, reasoning and cached tokens included; a step without usage adds nothing", async () => {
    const upstream = scriptedUpstream(
      callTools([{ name: "clock", arguments: { zone: "UTC" } }], { ...usage(10, 2), reasoningTokens: 1 }),
      callTools([{ name: "clock", arguments: { zone: "CET" } }]),
      answer("Noon.", { ...usage(20, 3), cachedTokens: 5 }),
    );
    const events = await runToEnd(upstream, { registry: registryWith([clock]) });
    expect(terminalOf(events)).toMatchObject({ status: "completed", usage: { ...usage(30, 5), reasoningTokens: 1, cachedTokens: 5 } });
  });

  it.each([
    ["length", "max_output_tokens"],
    ["content_filter", "content_filter"],
  ] as const)("ends a step cut short by %s as incomplete (%s)", async (finishReason, incompleteReason) => {
    const events = await runToEnd(scriptedUpstream(answer("Once upon", usage(3, 16), finishReason)));
    expect(terminalOf(events)).toEqual({ type: "run.completed", status: "incomplete", finishReason, incompleteReason, usage: usage(3, 16) });
  });
});

describe("the agent loop's failures", () => {
  it("ends in run.failed with the upstream's error and the usage so far, never a throw", async () => {
    const refused = new HermesError("The upstream failed", { status: 502, code: "upstream_error" });
    const upstream = scriptedUpstream(callTools([{ name: "clock", arguments: { zone: "UTC" } }], usage(7, 1)), fails(refused));
    const events = await runToEnd(upstream, { registry: registryWith([clock]) });
    expect(terminalOf(events)).toEqual({
      type: "run.failed",
      error: { message: "The upstream failed", type: "server_error", code: "upstream_error", param: null, status: 502 },
      usage: usage(7, 1),
    });
  });

  it("hides an unexpected error as internal_error", async () => {
    const events = await runToEnd(scriptedUpstream(fails(new TypeError("a bug"))));
    expect(terminalOf(events)).toMatchObject({ type: "run.failed", error: { status: 500, code: "internal_error", message: "Internal server error" } });
  });

  it("fails a client tool named like a server tool with a 400, before any upstream call", async () => {
    const upstream = scriptedUpstream();
    const events = await runToEnd(upstream, { registry: registryWith([clock]), input: userInput({ tools: [{ name: "clock" }] }) });
    expect(typesOf(events)).toEqual(["run.started", "run.failed"]);
    expect(terminalOf(events)).toMatchObject({ error: { status: 400, code: "tool_name_conflict", param: "tools[0]" } });
    expect(upstream.calls).toHaveLength(0);
  });

  it("ends an aborted step in run.failed cancelled, and the upstream call sees the abort", async () => {
    const controller = new AbortController();
    const upstream = scriptedUpstream(hangsAfterText("Half an answer", () => controller.abort()));
    const events = await runToEnd(upstream, { signal: controller.signal });
    expect(typesOf(events)).toEqual(["run.started", "message.started", "text.delta", "run.failed"]);
    expect(terminalOf(events)).toMatchObject({ type: "run.failed", error: { status: 499, code: "cancelled" }, usage: usage(0, 0) });
    expect(upstream.calls[0]!.options.signal.aborted).toBe(true);
  });

  it("keeps the reason of an abort that is a HermesError (a shutdown)", async () => {
    const controller = new AbortController();
    const shutdown = new HermesError("The server is shutting down", { status: 503, code: "server_shutting_down" });
    const events = await runToEnd(scriptedUpstream(hangsAfterText("Half", () => controller.abort(shutdown))), { signal: controller.signal });
    expect(terminalOf(events)).toMatchObject({ type: "run.failed", error: { status: 503, code: "server_shutting_down" } });
  });
});

describe("runAgent's batches", () => {
  const collectBatches = async (batches: AsyncIterable<HermesEvent[]>) => {
    const all: HermesEvent[][] = [];
    for await (const batch of batches) all.push(batch);
    return all;
  };
  const comparable = (events: HermesEvent[]) => events.map((event) => (event.type === "tool.completed" ? { ...event, durationMs: 0 } : event));

  it("are never empty, start with run.started alone, and hold the same events with hooks as without", async () => {
    const script = () => scriptedUpstream(callTools([{ name: "clock", arguments: { zone: "UTC" } }], usage(1, 1)), answer("Noon.", usage(1, 1)));
    const plain = await collectBatches(runAgent(userInput(), runOptions(script(), { registry: registryWith([clock]) })));
    const hooked = await collectBatches(runAgent(userInput(), runOptions(script(), { registry: registryWith([clock], { onEvent: () => {} }) })));
    for (const batches of [plain, hooked]) {
      expect(batches.every((batch) => batch.length > 0)).toBe(true);
      expect(batches[0]).toEqual([expect.objectContaining({ type: "run.started" })]);
    }
    expect(comparable(hooked.flat())).toEqual(comparable(plain.flat()));
  });

  it("come as one batch to a consumer that reads the run whole (stream: false), with every event the hooks saw, in order", async () => {
    const script = () => scriptedUpstream(callTools([{ name: "clock", arguments: { zone: "UTC" } }], usage(1, 1)), answer("Noon.", usage(1, 1)));
    const streamed = await collectBatches(runAgent(userInput(), runOptions(script(), { registry: registryWith([clock]) })));
    const seen: string[] = [];
    const whole = await collectBatches(
      runAgent(userInput(), runOptions(script(), { stream: false, registry: registryWith([clock], { onEvent: (event) => void seen.push(event.type) }) })),
    );
    expect(streamed.length).toBeGreaterThan(2);
    expect(whole).toHaveLength(1);
    expect(comparable(whole[0]!)).toEqual(comparable(streamed.flat()));
    expect(seen).toEqual(streamed.flat().map((event) => event.type));
  });

  it("end a run read whole that fails with everything before the failure, then run.failed", async () => {
    const events = await collectBatches(
      runAgent(
        userInput(),
        runOptions(scriptedUpstream(fails(new HermesError("The upstream is down", { status: 502, code: "upstream_error" }))), { stream: false }),
      ),
    );
    expect(events).toHaveLength(1);
    expect(typesOf(events[0]!)).toEqual(["run.started", "run.failed"]);
  });
});
