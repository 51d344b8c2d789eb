import { expect } from "vitest";
import type { HermesEvent } from "../../src/protocol/index.ts";

/**
 * The protocol's rules for blocks (rule 3 of docs/style): every message, reasoning block and tool call
 * is started once, before its deltas, and completed once, after them; its deltas add up to the text or
 * arguments it completes with (a reasoning block's summary deltas add up to its summary parts, apart
 * from its text). An opaque item is started once and completed once. Returns the ids of blocks still
 * open at the end.
 */
export function expectBlocksTied(events: readonly HermesEvent[]): string[] {
  const open = new Map<string, { kind: "message" | "reasoning" | "tool" | "opaque"; text: string; summary?: string[] }>();
  const closed = new Set<string>();
  const start = (id: string, kind: "message" | "reasoning" | "tool" | "opaque") => {
    expect(open.has(id) || closed.has(id), `${kind} ${id} started twice`).toBe(false);
    open.set(id, { kind, text: "" });
  };
  const delta = (id: string, kind: "message" | "reasoning" | "tool", piece: string) => {
    const block = open.get(id);
    expect(block?.kind, `${kind} delta for ${id}, which is not open`).toBe(kind);
    block!.text += piece;
  };
  const end = (id: string, kind: "message" | "reasoning" | "tool" | "opaque", whole: string) => {
    const block = open.get(id);
    expect(block?.kind, `${kind} ${id} completed without being open`).toBe(kind);
    expect(whole, `${kind} ${id}: the completed value is not its deltas joined`).toBe(block!.text);
    open.delete(id);
    closed.add(id);
  };
  for (const event of events) {
    switch (event.type) {
      case "message.started":
        start(event.itemId, "message");
        break;
      case "text.delta":
        delta(event.itemId, "message", event.delta);
        break;
      case "message.completed":
        end(event.itemId, "message", event.text);
        break;
      case "reasoning.started":
        start(event.itemId, "reasoning");
        break;
      case "reasoning.delta":
        if (event.summaryIndex === undefined) delta(event.itemId, "reasoning", event.delta);
        else {
          const block = open.get(event.itemId);
          expect(block?.kind, `reasoning summary delta for ${event.itemId}, which is not open`).toBe("reasoning");
          const summary = (block!.summary ??= []);
          summary[event.summaryIndex] = (summary[event.summaryIndex] ?? "") + event.delta;
        }
        break;
      case "reasoning.completed": {
        const streamed = open.get(event.itemId)?.summary ?? [];
        expect(event.summary ?? [], `reasoning ${event.itemId}: the completed summary is not its deltas joined`).toEqual(
          Array.from(streamed, (part) => part ?? ""),
        );
        end(event.itemId, "reasoning", event.text);
        break;
      }
      case "opaque.started":
        start(event.itemId, "opaque");
        break;
      case "opaque.completed":
        end(event.itemId, "opaque", "");
        break;
      case "tool.call.started":
        start(event.callId, "tool");
        break;
      case "tool.call.delta":
        delta(event.callId, "tool", event.delta);
        break;
      case "tool.call.completed":
        end(event.callId, "tool", event.arguments);
        break;
      default:
        break;
    }
  }
  return [...open.keys()];
}

/** One upstream call that succeeded: blocks tied and all closed, then exactly one `step.completed`, last. */
export function expectWellFormedStep(events: readonly HermesEvent[]): void {
  expect(expectBlocksTied(events), "blocks left open at the end of the step").toEqual([]);
  expect(events.filter((event) => event.type === "step.completed")).toHaveLength(1);
  expect(events.at(-1)?.type).toBe("step.completed");
  expect(events.some((event) => event.type === "run.started" || event.type === "run.completed" || event.type === "run.failed")).toBe(false);
}

/**
 * A whole run: `run.started` first, exactly one terminal event, last; blocks tied; a completed run
 * leaves no block open.
 */
export function expectWellFormedRun(events: readonly HermesEvent[]): void {
  expect(events[0]?.type).toBe("run.started");
  expect(events.filter((event) => event.type === "run.started")).toHaveLength(1);
  const terminals = events.filter((event) => event.type === "run.completed" || event.type === "run.failed");
  expect(terminals, "terminal events").toHaveLength(1);
  expect(events.at(-1)).toBe(terminals[0]);
  const open = expectBlocksTied(events);
  if (terminals[0]?.type === "run.completed") expect(open, "blocks left open by a completed run").toEqual([]);
}
