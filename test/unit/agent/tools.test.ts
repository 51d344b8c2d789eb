import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { defineTool } from "../../../sdk/index.ts";
import { agentLimits } from "../../../src/agent/limits.ts";
import type { ApprovalRequest } from "../../../src/agent/approval.ts";
import type { HermesEvent, ToolCompletedEvent } from "../../../src/protocol/index.ts";
import { registryWith, runToEnd, terminalOf, typesOf } from "../../helpers/agent-run.ts";
import { answer, callTools, scriptedUpstream } from "../../helpers/scripted-upstream.ts";

/**
 * Server tool calls inside the loop, against a scripted upstream: what the model reads back when a
 * tool fails, hangs, is refused or answers too much, and how calls run side by side.
 */

const completedOf = (events: readonly HermesEvent[]) => events.filter((event): event is ToolCompletedEvent => event.type === "tool.completed");
/** The outputs the second step sent upstream, in order. */
const outputsSent = (upstream: ReturnType<typeof scriptedUpstream>) =>
  upstream.calls[1]!.input.items.flatMap((item) => (item.type === "function_call_output" ? [item.output] : []));

describe("server tools in the agent loop", () => {
  it("returns a throwing tool's error to the model as the call's output, and goes on", async () => {
    const boom = defineTool({
      name: "boom",
      description: "Always fails",
      execute: () => {
        throw new Error("kaboom");
      },
    });
    const upstream = scriptedUpstream(callTools([{ name: "boom" }]), answer("It failed."));
    const events = await runToEnd(upstream, { registry: registryWith([boom]) });
    expect(completedOf(events)).toEqual([expect.objectContaining({ name: "boom", output: "Error from boom: kaboom", isError: true })]);
    expect(outputsSent(upstream)).toEqual(["Error from boom: kaboom"]);
    expect(terminalOf(events)).toMatchObject({ type: "run.completed", status: "completed" });
  });

  it("answers invalid arguments with an error output, without running the tool", async () => {
    const execute = vi.fn(() => "ran");
    const strict = defineTool({ name: "strict", description: "Wants a zone", parameters: z.object({ zone: z.string() }), execute });
    const upstream = scriptedUpstream(
      callTools([
        { name: "strict", arguments: { zone: 5 } },
        { name: "strict", arguments: "{not json" },
      ]),
      answer("Sorry."),
    );
    const events = await runToEnd(upstream, { registry: registryWith([strict]) });
    expect(execute).not.toHaveBeenCalled();
    expect(completedOf(events).map((event) => event.isError)).toEqual([true, true]);
    expect(outputsSent(upstream)).toEqual([expect.stringMatching(/^Invalid arguments for strict: zone: /), expect.stringMatching(/not valid JSON/)]);
  });

  it("gives a hung tool its own time limit, else the run's toolTimeoutMs, and aborts its signal", async () => {
    const signals: AbortSignal[] = [];
    const hang = (name: string, timeoutMs?: number) =>
      defineTool({
        name,
        description: "Never finishes",
        ...(timeoutMs !== undefined && { timeoutMs }),
        execute: (_args, { signal }) => {
          signals.push(signal);
          return new Promise(() => {});
        },
      });
    const upstream = scriptedUpstream(callTools([{ name: "own_limit" }, { name: "run_limit" }]), answer("Too slow."));
    const events = await runToEnd(upstream, { registry: registryWith([hang("own_limit", 20), hang("run_limit")]), toolTimeoutMs: 40 });
    expect(outputsSent(upstream)).toEqual(["Error from own_limit: timed out after 20 ms", "Error from run_limit: timed out after 40 ms"]);
    expect(completedOf(events).every((event) => event.isError)).toBe(true);
    expect(signals.map((signal) => signal.aborted)).toEqual([true, true]);
    expect(terminalOf(events)).toMatchObject({ type: "run.completed", status: "completed" });
  });

  it("runs one step's calls at once: tool.started for each first, tool.completed as each ends, outputs upstream in call order", async () => {
    const wait = defineTool({
      name: "wait",
      description: "Waits",
      parameters: z.object({ ms: z.number() }),
      execute: async ({ ms }) => {
        await new Promise((resolve) => setTimeout(resolve, ms));
        return `waited ${ms}`;
      },
    });
    const upstream = scriptedUpstream(
      callTools([
        { name: "wait", arguments: { ms: 60 } },
        { name: "wait", arguments: { ms: 0 } },
      ]),
      answer("Done."),
    );
    const events = await runToEnd(upstream, { registry: registryWith([wait]) });
    const toolEvents = events.filter((event) => event.type === "tool.started" || event.type === "tool.completed");
    expect(toolEvents.map((event) => `${event.type} ${event.type === "tool.completed" ? event.output : ""}`.trim())).toEqual([
      "tool.started",
      "tool.started",
      "tool.completed waited 0",
      "tool.completed waited 60",
    ]);
    expect(outputsSent(upstream)).toEqual(["waited 60", "waited 0"]);
  });

  it("refuses a tool that needs approval when nothing can ask, with a text the model reads", async () => {
    const execute = vi.fn(() => "deleted");
    const guarded = defineTool({ name: "delete_files", description: "Needs a person", needsApproval: true, execute });
    const upstream = scriptedUpstream(callTools([{ name: "delete_files" }]), answer("I may not."));
    await runToEnd(upstream, { registry: registryWith([guarded]) });
    expect(execute).not.toHaveBeenCalled();
    expect(outputsSent(upstream)).toEqual([expect.stringContaining("it needs a person's approval")]);
  });

  it.each([
    ["once", ["deleted"], 1],
    ["deny", ["delete_files was not run: the user denied approval."], 0],
  ] as const)("asks the approve handler first, and a person's %s decides", async (choice, outputs, runs) => {
    const execute = vi.fn(() => "deleted");
    const guarded = defineTool({
      name: "delete_files",
      description: "Needs a person",
      parameters: z.object({ path: z.string() }),
      needsApproval: ({ path }) => path.startsWith("/"),
      label: ({ path }) => `Delete ${path}`,
      execute,
    });
    const asked: ApprovalRequest[] = [];
    const upstream = scriptedUpstream(callTools([{ name: "delete_files", arguments: { path: "/tmp" }, id: "call_d" }]), answer("Done."));
    await runToEnd(upstream, { registry: registryWith([guarded]), approve: async (request) => (asked.push(request), choice) });
    expect(asked).toEqual([{ callId: "call_d", name: "delete_files", arguments: '{"path":"/tmp"}', label: "Delete /tmp" }]);
    expect(outputsSent(upstream)).toEqual(outputs);
    expect(execute).toHaveBeenCalledTimes(runs);
  });

  it("cuts an output past the limit, with a note the model reads", async () => {
    const chatty = defineTool({ name: "chatty", description: "Says a lot", execute: () => "x".repeat(agentLimits.toolOutputChars + 50) });
    const upstream = scriptedUpstream(callTools([{ name: "chatty" }]), answer("Long."));
    await runToEnd(upstream, { registry: registryWith([chatty]) });
    const [output] = outputsSent(upstream);
    expect(output).toHaveLength(agentLimits.toolOutputChars + "\n[output truncated: 50 more characters]".length);
    expect(output!.endsWith("\n[output truncated: 50 more characters]")).toBe(true);
  });

  it("aborts a running tool when the run is aborted, and ends in run.failed cancelled", async () => {
    const controller = new AbortController();
    let toolSignal: AbortSignal | undefined;
    const slow = defineTool({
      name: "slow",
      description: "Waits for its signal",
      execute: (_args, { signal }) =>
        new Promise((_, reject) => {
          toolSignal = signal;
          signal.addEventListener("abort", () => reject(signal.reason));
          controller.abort();
        }),
    });
    const upstream = scriptedUpstream(callTools([{ name: "slow" }]));
    const events = await runToEnd(upstream, { registry: registryWith([slow]), signal: controller.signal });
    expect(toolSignal?.aborted).toBe(true);
    expect(typesOf(events).slice(-2)).toEqual(["tool.started", "run.failed"]);
    expect(terminalOf(events)).toMatchObject({ error: { status: 499, code: "cancelled" } });
    expect(upstream.calls).toHaveLength(1);
  });
});
