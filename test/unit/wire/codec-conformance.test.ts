import { describe, expect, it } from "vitest";
import { HermesError, type HermesEvent } from "../../../src/protocol/index.ts";
import { encodeChatCompletion } from "../../../src/wire/chat/index.ts";
import { RunCollector } from "../../../src/runtime/collect.ts";
import { encodeResponse } from "../../../src/wire/responses/index.ts";
import { encodeSessionChatCompletion } from "../../../src/wire/sessions/index.ts";
import { expectWellFormedRun } from "../../helpers/event-invariants.ts";
import { answerTexts, messageTexts, type RunScenario, runScenarios } from "../../helpers/run-scenarios.ts";
import {
  chatStream,
  type Frame,
  framesOf,
  responsesMeta,
  responsesStream,
  sessionOptions,
  sessionsStream,
  type StreamFormat,
  streamFormats,
} from "../../helpers/wire-formats.ts";

/**
 * The codec conformance suite (style rule 8): one table of runs (test/helpers/run-scenarios.ts) fed
 * to every client encoder, each held to the rules every format keeps. Per-format details (field
 * names, frame shapes) are in the format's own codec test; how each format is read back is in
 * test/helpers/wire-formats.ts.
 */

describe("the run scenarios", () => {
  for (const scenario of runScenarios) {
    it(`${scenario.name} is a well-formed run`, () => expectWellFormedRun(scenario.events));
  }
});

function encoded(format: StreamFormat, scenario: RunScenario) {
  const { sse, abortAfterEnd } = format.encode(scenario.events);
  return { sse, abortAfterEnd, frames: framesOf(sse) };
}

const clientCallsOf = (events: readonly HermesEvent[]) =>
  events.flatMap((event) =>
    event.type === "tool.call.completed" && event.side === "client" ? [{ id: event.callId, name: event.name, arguments: event.arguments }] : [],
  );

for (const format of streamFormats) {
  describe(`${format.name} (codec conformance)`, () => {
    // A run the format can never be handed is no case of it (a session chat turn takes no client tools).
    for (const scenario of runScenarios.filter(({ name }) => !format.cannotCarry?.includes(name))) {
      describe(scenario.name, () => {
        const test = it;
        const failed = scenario.outcome.status === "failed";

        test("encodes every event, a failure included, without throwing", () => {
          expect(() => format.encode(scenario.events)).not.toThrow();
        });

        test("ends in exactly one terminal frame, followed only by the format's end", () => {
          const { frames } = encoded(format, scenario);
          const terminals = frames.flatMap((frame, index) => (format.isTerminal(frame) ? [index] : []));
          expect(terminals).toHaveLength(1);
          for (const after of frames.slice(terminals[0]! + 1)) expect(format.mayFollowTerminal(after), JSON.stringify(after)).toBe(true);
          expect(format.isEndMarker(frames.at(-1)!)).toBe(true);
        });

        if (format.sequence) {
          const { of, first } = format.sequence;
          test(`numbers its frames from ${first}, one by one`, () => {
            const { frames } = encoded(format, scenario);
            expect(frames.map(of)).toEqual(frames.map((_, index) => first + index));
          });
        }

        test("ties each block's frames together by id: one start, then its deltas, then at most one end", () => {
          const { frames } = encoded(format, scenario);
          const byId = new Map<string, string[]>();
          for (const { id, phase } of format.blocks(frames)) byId.set(id, [...(byId.get(id) ?? []), phase]);
          for (const [id, phases] of byId) {
            expect(phases[0], `block ${id}`).toBe("start");
            expect(
              phases.filter((phase) => phase === "start"),
              `block ${id}`,
            ).toHaveLength(1);
            const ends = phases.filter((phase) => phase === "end").length;
            expect(ends, `block ${id}`).toBeLessThanOrEqual(1);
            if (ends === 1 || (format.closesBlocks && !failed)) expect(phases.at(-1), `block ${id} is not closed last`).toBe("end");
          }
        });

        test("streams the run's text as deltas, and reports the same answer at the end", () => {
          const { frames } = encoded(format, scenario);
          expect(format.streamedText(frames)).toBe(messageTexts(scenario.events).join(format.messageSeparator));
          if (format.reported && !failed) {
            const expected = format.reported.scope === "run" ? messageTexts(scenario.events) : answerTexts(scenario.events);
            expect(format.reported.text(frames)).toBe(expected.join(""));
          }
        });

        test("reports how the run ended", () => {
          expect(format.outcome(encoded(format, scenario).frames)).toEqual(scenario.outcome);
        });

        if (format.clientCalls) {
          const read = format.clientCalls;
          test("hands back exactly the client's tool calls, with their whole arguments", () => {
            expect(read(encoded(format, scenario).frames)).toEqual(clientCallsOf(scenario.events));
          });
        }

        if (format.abortable) {
          test("writes nothing when aborted after the end", () => {
            expect(encoded(format, scenario).abortAfterEnd).toBe("");
          });
        }
      });
    }
  });
}

function collect(events: readonly HermesEvent[]) {
  const collector = new RunCollector();
  for (const event of events) collector.add(event);
  return collector.result;
}

const terminalOf = (format: StreamFormat, frames: Frame[]) => frames.find(format.isTerminal)!;

describe("JSON bodies say what the stream said (codec conformance)", () => {
  for (const scenario of runScenarios) {
    const failed = scenario.outcome.status === "failed";

    describe(scenario.name, () => {
      it(
        failed ? "Chat Completions JSON: throws the run's error, never a short answer" : "Chat Completions JSON: the streamed message, finish reason and usage",
        () => {
          const result = collect(scenario.events);
          if (failed) {
            let thrown: unknown;
            try {
              encodeChatCompletion(result);
            } catch (error) {
              thrown = error;
            }
            expect(HermesError.is(thrown)).toBe(true);
            expect(thrown).toMatchObject({ code: scenario.outcome.code });
            return;
          }
          const { frames } = encoded(chatStream, scenario);
          const chunks = frames.filter((frame) => frame.data !== "[DONE]").map((frame) => frame.data);
          const body = encodeChatCompletion(result);
          const choice = body.choices[0]!;
          expect({ id: body.id, created: body.created, model: body.model }).toEqual({ id: chunks[0].id, created: chunks[0].created, model: chunks[0].model });
          expect(choice.message.content).toBe(chatStream.streamedText(frames) || null);
          const reasoning = chunks.map((chunk) => chunk.choices?.[0]?.delta.reasoning_content ?? "").join("");
          expect(choice.message.reasoning_content).toBe(reasoning || undefined);
          const calls = chatStream.clientCalls!(frames).map(({ id, name, arguments: args }) => ({ id, type: "function", function: { name, arguments: args } }));
          expect(choice.message.tool_calls ?? []).toEqual(calls);
          expect(choice.finish_reason).toBe(terminalOf(chatStream, frames).data.choices[0].finish_reason);
          expect(body.usage).toEqual(chunks.at(-1).usage);
        },
      );

      it("Responses JSON: the same response object the stream ended with", () => {
        const { frames } = encoded(responsesStream, scenario);
        expect(encodeResponse(collect(scenario.events), responsesMeta)).toEqual(terminalOf(responsesStream, frames).data.response);
      });

      const sessionsTitle = "sessions JSON: the streamed answer and usage";
      if (sessionsStream.cannotCarry?.includes(scenario.name)) {
        // No session chat turn can end this way; nothing to compare.
      } else if (failed) {
        // The sessions JSON body has no failure shape: the route answers a failed turn with the run's
        // error as its HTTP error (routes/sessions/chat.ts), which is what the stream's error frame says.
        it("sessions JSON: a failed turn is the run's error, as the stream's error frame says", () => {
          const { frames } = encoded(sessionsStream, scenario);
          const result = collect(scenario.events);
          expect(result.status).toBe("failed");
          expect(result.error?.code).toBe(terminalOf(sessionsStream, frames).data.code);
        });
      } else {
        it(sessionsTitle, () => {
          const { frames } = encoded(sessionsStream, scenario);
          const body = encodeSessionChatCompletion(sessionOptions.sessionId, sessionOptions.runId, collect(scenario.events));
          expect(body.message.content).toBe(frames.find((frame) => frame.event === "assistant.completed")!.data.content);
          expect(body.usage).toEqual(terminalOf(sessionsStream, frames).data.usage);
          expect(body).toMatchObject({ session_id: sessionOptions.sessionId, run_id: sessionOptions.runId });
        });
      }
    });
  }
});
