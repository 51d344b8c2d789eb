import { AsyncQueue } from "../utils/index.ts";

/**
 * Background responses running in this process: their encoded frames (for `GET …?stream=true`
 * re-attachment with `starting_after`) and the controller that cancels them. Kept for a while after
 * they finish so a late re-attach still replays; the final snapshot lives in storage regardless.
 */
export interface BackgroundRun {
  controller: AbortController;
  /** Encoded SSE frames with their sequence numbers, in order. */
  frames: { sequence: number; text: string }[];
  listeners: Set<(frame: { sequence: number; text: string } | null) => void>;
  done: boolean;
}

const RETAIN_MS = 10 * 60_000;

export class BackgroundRuns {
  readonly #runs = new Map<string, BackgroundRun>();

  start(id: string, controller: AbortController): BackgroundRun {
    const run: BackgroundRun = { controller, frames: [], listeners: new Set(), done: false };
    this.#runs.set(id, run);
    return run;
  }

  get(id: string): BackgroundRun | undefined {
    return this.#runs.get(id);
  }

  /** Records the frames one event encoded to and hands them to every attached stream. */
  push(run: BackgroundRun, encoded: string): void {
    for (const text of splitFrames(encoded)) {
      const frame = { sequence: sequenceOf(text), text };
      run.frames.push(frame);
      for (const listener of run.listeners) listener(frame);
    }
  }

  /**
   * A run's frames after sequence number `after`, then the live ones as they come, until the run is
   * over: what `GET /v1/responses/{id}?stream=true&starting_after=N` streams.
   */
  replay(run: BackgroundRun, after: number): AsyncQueue<string> {
    const queue = new AsyncQueue<string>();
    for (const frame of run.frames) if (frame.sequence > after) queue.push(frame.text);
    if (run.done) {
      queue.end();
      return queue;
    }
    const listener = (frame: { sequence: number; text: string } | null) => (frame === null ? queue.end() : queue.push(frame.text));
    run.listeners.add(listener);
    queue.onReturn = () => run.listeners.delete(listener);
    return queue;
  }

  finish(id: string, run: BackgroundRun): void {
    run.done = true;
    for (const listener of run.listeners) listener(null);
    run.listeners.clear();
    setTimeout(() => this.#runs.delete(id), RETAIN_MS).unref();
  }
}

function splitFrames(text: string): string[] {
  const frames: string[] = [];
  for (const frame of text.split("\n\n")) if (frame) frames.push(`${frame}\n\n`);
  return frames;
}

function sequenceOf(frame: string): number {
  const match = /"sequence_number":(\d+)/.exec(frame);
  return match ? Number(match[1]) : -1;
}
