import type { HermesErrorInfo, RunFailedEvent } from "../../protocol/index.ts";
import { encodeResponse, type ResponseMeta, type ResponseObject } from "../../wire/responses/index.ts";
import { RunCollector } from "../collect.ts";

type Cut = { status: "incomplete" | "cancelled"; reason: string };

/**
 * A Responses turn's one fold of its events: the collector every consumer reads (the stream encoder,
 * the saver, the JSON body), and the final Response object, built once when the run is over or cut
 * short and handed to all of them.
 */
export class ResponseFold {
  readonly collector = new RunCollector();
  readonly meta: ResponseMeta;
  #final: ResponseObject | undefined;

  constructor(meta: ResponseMeta) {
    this.meta = meta;
  }

  /**
   * The response as it stands; once the run is over, the one final object. A `cut` (the client left,
   * the run was cancelled) overrides a run that had not finished or failed because of it.
   */
  /**
   * A run that finished but whose response could not be stored: it ends failed with `error` after all.
   * Returns the terminal event to send in place of `run.completed`.
   */
  fail(error: HermesErrorInfo): RunFailedEvent {
    const failed = { type: "run.failed", error, usage: this.collector.result.usage } as const;
    this.collector.add(failed);
    this.#final = undefined;
    return failed;
  }

  response(cut?: Cut): ResponseObject {
    const { result } = this.collector;
    const overridden = cut !== undefined && (result.status === "in_progress" || result.status === "failed");
    if (this.#final && !overridden) return this.#final;
    if (overridden) this.collector.closeOpenBlocks();
    const response = encodeResponse(result, this.meta, overridden ? cut : undefined);
    if (overridden || result.status !== "in_progress") this.#final = response;
    return response;
  }
}
