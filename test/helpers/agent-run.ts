import { createStorage } from "unstorage";
import { definePlugin } from "../../sdk/index.ts";
import { runAgent, type RunOptions } from "../../src/agent/loop.ts";
import { createRegistry, type PluginRegistry } from "../../src/plugins/registry.ts";
import type { HermesEvent, RunInput } from "../../src/protocol/index.ts";
import type { HermesTool, PluginHooks, PluginLogger } from "../../src/plugin-api/index.ts";
import { expectWellFormedRun } from "./event-invariants.ts";
import type { ScriptedUpstream } from "./scripted-upstream.ts";
import { sequentialIds } from "./upstream-calls.ts";

/** Helpers for the agent loop's unit tests: a registry of test tools, a run driven to its end. */

export const silentLogger: PluginLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** The tools and hooks as one plugin, each with its own memory storage. */
export function registryWith(tools: readonly HermesTool[] = [], hooks?: PluginHooks): PluginRegistry {
  return createRegistry([definePlugin({ name: "test-tools", tools, ...(hooks && { hooks }) })], () => ({
    storage: createStorage(),
    logger: silentLogger,
  }));
}

export const userInput = (overrides: Partial<RunInput> = {}): RunInput => ({
  model: "gpt-test",
  items: [{ type: "message", role: "user", content: [{ type: "input_text", text: "What time is it?" }] }],
  tools: [],
  ...overrides,
});

export type RunSettings = Partial<Omit<RunOptions, "upstream">> & { input?: RunInput };

export function runOptions(upstream: ScriptedUpstream, settings: RunSettings = {}): RunOptions {
  const { input: _input, ...rest } = settings;
  return {
    upstream,
    runId: "run_1",
    model: "hermes-agent",
    createdAt: 1700000000,
    signal: AbortSignal.timeout(10_000),
    maxIterations: 5,
    newId: sequentialIds(),
    ...rest,
  };
}

/** Runs the loop to its end; every run must be well formed (one terminal event, last; blocks tied). */
export async function runToEnd(upstream: ScriptedUpstream, settings: RunSettings = {}): Promise<HermesEvent[]> {
  const events: HermesEvent[] = [];
  for await (const batch of runAgent(settings.input ?? userInput(), runOptions(upstream, settings))) events.push(...batch);
  expectWellFormedRun(events);
  return events;
}

export const typesOf = (events: readonly HermesEvent[]) => events.map((event) => event.type);
export const terminalOf = (events: readonly HermesEvent[]) => events.at(-1)!;
