import { approvalChoices } from "../../agent/approval.ts";
import { runAgent } from "../../agent/loop.ts";
import type { HermesConfig } from "../../config/schema.ts";
import type { PluginRegistry } from "../../plugins/registry.ts";
import type { HermesEvent, RunInput } from "../../protocol/index.ts";
import type { Upstream } from "../../upstream/types.ts";
import { answerOf, type RunResult, toErrorInfo } from "../../protocol/index.ts";
import { RunCollector } from "../collect.ts";
import { approvalRequestPayload, cancelledPayload, RunsEventEncoder } from "../../wire/runs/index.ts";
import { isFinished } from "../../state/runs.ts";
import type { Lifecycle } from "../lifecycle.ts";
import type { LiveRun } from "./live-run.ts";
import { logger } from "../../utils/logger.ts";

export interface ExecuteOptions {
  config: HermesConfig;
  upstream: Upstream;
  registry: PluginRegistry;
  lifecycle: Lifecycle;
}

/** What the starter of a run may hang on it (in this process): a session recorder, a stream follower. */
export interface RunHooks {
  /**
   * A completed run's result, awaited before its terminal event goes out: a client that sees the end
   * and continues at once finds what this stored.
   */
  beforeCompleted?(result: RunResult): Promise<void>;
  /** Every agent event, in order (a run stopped before it started has none: watch its end instead). */
  onEvent?(event: HermesEvent): void;
  /** The run's one fold of its events, when the starter wants to read it too; else the run makes its own. */
  collector?: RunCollector;
}

/**
 * Runs the agent loop for a detached run and logs what it does, in the Runs API's payloads. The run
 * stops on its own `stop` controller or on server shutdown, never because a follower went away.
 * Resolves once the run ended and everything is stored.
 */
export async function executeRun(live: LiveRun, input: RunInput, options: ExecuteOptions, hooks: RunHooks = {}): Promise<void> {
  const { config, upstream, registry, lifecycle } = options;
  const { record } = live;
  const shutdown = lifecycle.runSignal(undefined);
  const signal = AbortSignal.any([live.stop.signal, shutdown.signal]);
  try {
    if (signal.aborted) {
      live.emit(cancelledPayload(record.id, live.timestamp()));
      live.finish("cancelled");
      return;
    }
    live.setStatus("running");
    const collector = hooks.collector ?? new RunCollector();
    const encoder = new RunsEventEncoder(record.id, collector.result);
    const events = runAgent(input, {
      upstream,
      runId: record.id,
      model: record.model,
      createdAt: record.createdAt,
      signal,
      maxIterations: config.agent.maxIterations,
      registry,
      sessionId: record.sessionId,
      toolTimeoutMs: config.agent.toolTimeoutMs,
      requestId: record.requestId,
      sessionKey: record.sessionKey,
      approve: (request) => {
        const payload = approvalRequestPayload(record.id, live.timestamp(), request, approvalChoices);
        return live.approvals.ask(payload, request.callId, signal, () => {
          live.emit(payload);
          live.approvalsChanged();
        });
      },
    });
    for await (const batch of events) {
      for (const agentEvent of batch) {
        let event: HermesEvent = agentEvent;
        collector.add(event);
        if (event.type === "run.completed" && hooks.beforeCompleted) {
          try {
            await hooks.beforeCompleted(collector.result);
          } catch (error) {
            // The end could not be recorded (its session turn): the run is not reported complete.
            logger.error(`run ${record.id} finished but could not be recorded; it ends failed:`, error);
            event = { type: "run.failed", error: toErrorInfo(error), usage: event.usage };
            collector.add(event);
          }
        }
        hooks.onEvent?.(event);
        const payload = encoder.encode(event, live.timestamp());
        if (payload) live.emit(payload);
        if (event.type === "run.completed") {
          record.output = answerOf(collector.result.output);
          record.usage = event.usage;
          // An answer cut short is not a completed one: the status says so, and why.
          if (event.status === "incomplete") record.incompleteReason = event.incompleteReason ?? "max_output_tokens";
          // Handed client tool calls back: not done, waiting for their outputs, and the status says which.
          if (event.status === "requires_action") record.toolCalls = clientCallsOf(collector.result.output);
          live.finish(event.status);
        } else if (event.type === "run.failed") {
          record.usage = event.usage ?? null;
          // A run stopped or cut short keeps the answer it had streamed so far.
          const partial = answerOf(collector.result.output);
          if (partial) record.output = partial;
          // A stop aborts the run with code `cancelled`; anything else is a failure to report. One the
          // shutdown cut short is `interrupted`: it did not fail, and it may be worth starting again.
          if (event.error.code !== "cancelled") record.error = { message: event.error.message, code: event.error.code };
          const interrupted = shutdown.signal.aborted && !live.stop.signal.aborted;
          live.finish(event.error.code === "cancelled" ? "cancelled" : interrupted ? "interrupted" : "failed");
        }
      }
    }
  } catch (error) {
    // The agent loop ends every run in a terminal event; this only guards against a bug in it.
    logger.error("run failed:", error);
    if (!isFinished(record.status)) {
      record.error = { message: "Internal server error", code: "internal_error" };
      live.emit({ event: "run.failed", run_id: record.id, timestamp: live.timestamp(), error: "Internal server error", code: "internal_error" });
      live.finish("failed");
    }
  } finally {
    live.close();
    // Released only once stored: shutdown waits for this before it closes the storage (and gives up
    // on a storage that stays down a second after the drain aborted the run).
    await live.flushed(shutdown.signal);
    shutdown.release();
  }
}

/** The client tool calls a run handed back (they end it: each one waits for its output). */
function clientCallsOf(output: RunResult["output"]): { id: string; name: string; arguments: string }[] {
  const calls: { id: string; name: string; arguments: string }[] = [];
  for (const item of output)
    if (item.type === "function_call" && item.side === "client") calls.push({ id: item.call_id, name: item.name, arguments: item.arguments });
  return calls;
}
