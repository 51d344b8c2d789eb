import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { defineTool, HermesError } from "../../../sdk/index.ts";
import type { HermesEvent, TerminalEvent } from "../../../src/protocol/index.ts";
import type { RunInfo } from "../../../src/plugin-api/index.ts";
import { registryWith, runToEnd, terminalOf, typesOf, userInput } from "../../helpers/agent-run.ts";
import { answer, callTools, scriptedUpstream } from "../../helpers/scripted-upstream.ts";

/** The plugins' run hooks around the agent loop, against a scripted upstream. */

const clock = defineTool({ name: "clock", description: "The time", parameters: z.object({ zone: z.string() }), execute: ({ zone }) => `12:00 ${zone}` });

afterEach(() => {
  vi.restoreAllMocks();
});

describe("run hooks", () => {
  it("show onEvent every event in order, as the consumer gets them, and onRunEnd the terminal event once", async () => {
    const seen: HermesEvent[] = [];
    const ends: [RunInfo, TerminalEvent][] = [];
    const runs: RunInfo[] = [];
    const registry = registryWith([clock], {
      onRunStart: (run) => void runs.push(run),
      onEvent: (event) => void seen.push(event),
      onRunEnd: (run, end) => void ends.push([run, end]),
    });
    const upstream = scriptedUpstream(callTools([{ name: "clock", arguments: { zone: "UTC" } }]), answer("Noon."));
    const events = await runToEnd(upstream, { registry, sessionId: "sess_1", requestId: "req_1" });
    expect(seen).toEqual(events);
    expect(ends).toEqual([[runs[0], terminalOf(events)]]);
    expect(runs).toEqual([{ runId: "run_1", sessionId: "sess_1", model: "hermes-agent", input: userInput(), requestId: "req_1" }]);
  });

  it("let onRunStart refuse a run with its HermesError: run.started, then run.failed, and no upstream call", async () => {
    const seen: string[] = [];
    const ended: string[] = [];
    const registry = registryWith([], {
      onRunStart: () => {
        throw new HermesError("This run is refused by policy", { status: 403, code: "policy_refused" });
      },
      onEvent: (event) => void seen.push(event.type),
      onRunEnd: (_run, end) => void ended.push(end.type),
    });
    const upstream = scriptedUpstream();
    const events = await runToEnd(upstream, { registry });
    expect(typesOf(events)).toEqual(["run.started", "run.failed"]);
    expect(terminalOf(events)).toMatchObject({ error: { status: 403, code: "policy_refused", message: "This run is refused by policy" } });
    expect(seen).toEqual(["run.started", "run.failed"]);
    expect(ended).toEqual(["run.failed"]);
    expect(upstream.calls).toHaveLength(0);
  });

  it("fail the run as internal_error when onRunStart throws something else, and log it", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const registry = registryWith([], {
      onRunStart: () => {
        throw new TypeError("a bug in the hook");
      },
    });
    const events = await runToEnd(scriptedUpstream(), { registry });
    expect(terminalOf(events)).toMatchObject({ type: "run.failed", error: { status: 500, code: "internal_error" } });
    expect(logged).toHaveBeenCalledWith("[hermes-proxy] onRunStart hook failed:", expect.any(TypeError));
  });

  it("never let a throwing onEvent or onRunEnd change the run: their failures are logged", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const registry = registryWith([], {
      onEvent: () => {
        throw new Error("observer broke");
      },
      onRunEnd: async () => {
        throw new Error("end observer broke");
      },
    });
    const events = await runToEnd(scriptedUpstream(answer("Fine.")), { registry });
    expect(terminalOf(events)).toMatchObject({ type: "run.completed", status: "completed" });
    await vi.waitFor(() => expect(logged).toHaveBeenCalledWith("[hermes-proxy] onRunEnd hook failed:", expect.any(Error)));
    expect(logged).toHaveBeenCalledWith("[hermes-proxy] onEvent hook failed:", expect.any(Error));
  });
});
