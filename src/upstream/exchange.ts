import type { IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "undici";
import type { BodySink } from "./http.ts";

/** Stands in for the sink of a body nobody reads any more (`drain`, `discard`). */
const ignore: BodySink = { data() {}, end() {}, error() {} };

/**
 * One request on undici's `dispatch`, its body handed to a `BodySink` straight from the HTTP parser.
 * undici's `request` wraps the same callbacks in an `AsyncResource` and a `Readable` whose `data`
 * events the transport listened to anyway: a stream, its buffer and three listeners per call, and an
 * event emission per network read, for nothing the transport used. Here each read is one call.
 *
 * `headers` resolves with the status line and headers (1xx answers are skipped), or rejects with what
 * undici failed with (the signal's reason on abort). Reads that arrive before a sink is attached are
 * kept, in order, for it: undici parses the first body bytes in the same turn as the headers.
 */
export class Exchange implements Dispatcher.DispatchHandler {
  readonly headers: Promise<{ status: number; headers: IncomingHttpHeaders }>;
  #resolve!: (value: { status: number; headers: IncomingHttpHeaders }) => void;
  #reject!: (error: unknown) => void;
  #controller: Dispatcher.DispatchController | undefined;
  /** Set until a sink is attached: reads kept for it, and how the body ended. */
  #early: Uint8Array[] | undefined = [];
  #outcome: { error: unknown } | "end" | undefined;
  #sink: BodySink | undefined;
  #started = false;
  /** Aborted before undici handed over the controller (the request was still queued). */
  #abortReason: { reason: unknown } | undefined;
  readonly #signal: AbortSignal | undefined;

  constructor(signal: AbortSignal | undefined) {
    this.headers = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#signal = signal;
    if (signal?.aborted) this.#abortReason = { reason: signal.reason };
    else signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  readonly #onAbort = (): void => this.abort(this.#signal!.reason);

  /** Ends the exchange (its connection is closed); the body's sink hears nothing more. */
  abort(reason: unknown): void {
    if (this.#controller === undefined) this.#abortReason ??= { reason };
    else if (!this.#controller.aborted) this.#controller.abort(reason as Error);
  }

  /**
   * Attaches the body's reader: what came before the first reader is delivered at once, then each
   * read as it comes. A later call replaces the reader (`release` hands the rest to a drain).
   */
  read(sink: BodySink): void {
    this.#sink = sink;
    const early = this.#early;
    if (early === undefined) return;
    this.#early = undefined;
    for (const chunk of early) {
      if (this.#sink !== sink) return;
      sink.data(chunk);
    }
    const outcome = this.#outcome;
    if (outcome === "end") sink.end();
    else if (outcome !== undefined) sink.error(outcome.error);
  }

  /** Stops listening: whatever the body does from now on is dropped. */
  detach(): void {
    if (this.#early !== undefined) this.#early = undefined;
    this.#sink = ignore;
  }

  pause(): void {
    this.#controller?.pause();
  }

  resume(): void {
    this.#controller?.resume();
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#abortReason !== undefined) controller.abort(this.#abortReason.reason as Error);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    if (status < 200) return;
    this.#started = true;
    this.#resolve({ status, headers });
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const sink = this.#sink;
    if (sink !== undefined) sink.data(chunk);
    else this.#early?.push(chunk);
  }

  onResponseEnd(): void {
    this.#done();
    const sink = this.#sink;
    if (sink !== undefined) sink.end();
    else if (this.#early !== undefined) this.#outcome = "end";
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#done();
    if (!this.#started) return this.#reject(error);
    const sink = this.#sink;
    if (sink !== undefined) sink.error(error);
    else if (this.#early !== undefined) this.#outcome = { error };
  }

  #done(): void {
    this.#signal?.removeEventListener("abort", this.#onAbort);
  }
}
