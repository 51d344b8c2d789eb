import type { HermesEvent } from "../protocol/index.ts";
import { AsyncQueue } from "../utils/index.ts";

/**
 * A run's events as they are pushed (by `RunHooks.onEvent`), read back by the route that started the
 * run, up to its terminal event. It notes whether one went through, so that the run's end can stand
 * in for one.
 */
export class EventQueue extends AsyncQueue<HermesEvent> {
  /** A terminal event went through: the run's end needs no stand-in. */
  sawTerminal = false;

  /** A terminal event is the last one: the reader is done with it, whatever the run still has to store. */
  override push(event: HermesEvent): void {
    super.push(event);
    if (event.type === "run.completed" || event.type === "run.failed") {
      this.sawTerminal = true;
      this.end();
    }
  }
}
