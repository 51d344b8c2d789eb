import { getEventListeners } from "node:events";
import type { Dispatcher } from "undici";
import { describe, expect, it } from "vitest";
import { Exchange } from "../../../src/upstream/exchange.ts";

/** What undici hands an exchange once its request is under way: records the abort it gets. */
function fakeController() {
  const controller = { aborted: false, reason: undefined as unknown, paused: false };
  return Object.assign(controller, {
    abort(reason: Error) {
      controller.aborted = true;
      controller.reason = reason;
    },
    pause() {},
    resume() {},
  }) as typeof controller & Dispatcher.DispatchController;
}

const started = (signal: AbortSignal) => {
  const exchange = new Exchange(signal);
  const controller = fakeController();
  exchange.onRequestStart(controller);
  return { exchange, controller };
};

describe("Exchange under an abort signal", () => {
  it("aborts every exchange in flight under the signal", () => {
    const run = new AbortController();
    const first = started(run.signal);
    const second = started(run.signal);

    const reason = new Error("client went away");
    run.abort(reason);
    expect(first.controller.reason).toBe(reason);
    expect(second.controller.reason).toBe(reason);
  });

  it("leaves an exchange that has ended alone: its listener is off the signal", () => {
    const run = new AbortController();
    const done = started(run.signal);
    const open = started(run.signal);
    done.exchange.onResponseStart(done.controller, 200, {});
    done.exchange.onResponseEnd();
    expect(getEventListeners(run.signal, "abort")).toHaveLength(1);

    run.abort(new Error("stop"));
    expect(done.controller.aborted).toBe(false);
    expect(open.controller.aborted).toBe(true);
  });

  it("aborts a request still queued when undici starts it", () => {
    const run = new AbortController();
    const exchange = new Exchange(run.signal);
    const reason = new Error("gone before the request left");
    run.abort(reason);
    const controller = fakeController();
    exchange.onRequestStart(controller);
    expect(controller.reason).toBe(reason);
  });

  it("takes a signal aborted before it was made", () => {
    const reason = new Error("already over");
    const { controller } = started(AbortSignal.abort(reason));
    expect(controller.reason).toBe(reason);
  });
});
