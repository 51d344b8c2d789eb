import { performance } from "node:perf_hooks";
import { definePlugin, defineTool } from "../../../sdk/index.ts";

/**
 * A server tool that runs until its abort signal fires, and records when that happened: the probe
 * for "a running tool gets its abort signal" and for how fast.
 */
export function holdToolPlugin() {
  let started = deferred();
  const state = {
    /** `performance.now()` when the running call's signal aborted. */
    abortedAt: undefined as number | undefined,
    /** Resolves when the next call starts. */
    get started() {
      return started.promise;
    },
    reset() {
      started = deferred();
      state.abortedAt = undefined;
    },
  };
  const hold = defineTool({
    name: "hold",
    description: "Holds until it is aborted",
    execute: (_args, { signal }) =>
      new Promise((_resolve, reject) => {
        signal.addEventListener(
          "abort",
          () => {
            state.abortedAt = performance.now();
            reject(signal.reason);
          },
          { once: true },
        );
        started.resolve();
      }),
  });
  return { plugin: definePlugin({ name: "hold-tool", tools: [hold] }), state };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}
