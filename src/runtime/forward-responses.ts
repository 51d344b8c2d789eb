import { HermesError } from "../protocol/index.ts";
import { encodeInput } from "../upstream/responses/index.ts";
import type { ForwardRequest } from "../upstream/types.ts";
import type { ForwardedRequest } from "../wire/responses/index.ts";
import type { RuntimeContext } from "./context.ts";
import { chooseModel } from "./model.ts";

/**
 * Token counting and compaction, forwarded to the upstream (a Responses API one; others answer 400 `unsupported_by_upstream`).
 * The model goes through `chooseModel` as a turn's would. A `previous_response_id` names a response
 * this proxy stored, which the upstream has never seen (it runs with `store: false`): the stored chain
 * goes as input items before the request's own, with the chain's instructions unless the request sets
 * them, so the upstream counts or compacts what a turn on that chain would send.
 */
export async function forwardResponses(
  context: RuntimeContext,
  path: ForwardRequest["path"],
  request: ForwardedRequest,
  options: { signal?: AbortSignal | undefined; requestId?: string | undefined },
): Promise<unknown> {
  const { previous_response_id: previous, conversation, ...body } = request;
  if (conversation !== undefined && conversation !== null)
    throw new HermesError("'conversation' cannot be forwarded: send previous_response_id or the conversation's items as input", {
      status: 400,
      code: "unsupported_parameter",
      param: "conversation",
    });
  const model = chooseModel(context.config, context.upstream, request.model);
  const forwarded: Record<string, unknown> = { ...body, model: model.upstream };
  if (previous) {
    const chain = await context.responses.history(previous);
    if (!chain)
      throw new HermesError(`Previous response not found: ${previous}`, { status: 404, code: "previous_response_not_found", param: "previous_response_id" });
    const own = typeof body.input === "string" ? [{ role: "user", content: body.input }] : (body.input ?? []);
    forwarded.input = [...encodeInput(chain.items), ...own];
    const instructions = chain.record.response.settings.instructions;
    if (body.instructions == null && instructions) forwarded.instructions = instructions;
  }
  if (!context.upstream.forward) throw new HermesError(`POST /v1${path} needs a Responses API upstream`, { status: 400, code: "unsupported_by_upstream" });
  return context.upstream.forward({ path, body: forwarded, signal: options.signal, requestId: options.requestId });
}
