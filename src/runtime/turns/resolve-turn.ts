import { truncateHistory } from "../../agent/truncate.ts";
import { HermesError, type Item } from "../../protocol/index.ts";
import { randomId } from "../../utils/index.ts";
import type { ConversationClaim } from "../../state/conversations.ts";
import type { DecodedResponsesRequest } from "../../wire/responses/index.ts";
import type { RuntimeContext } from "../context.ts";
import { isConversationId } from "../conversations.ts";
import { resolveReferences } from "../stored-items.ts";

export interface Turn {
  /** The whole history sent upstream. */
  items: Item[];
  /** The history before this turn, untruncated. */
  prior: Item[];
  /** What this turn adds (stored with it). */
  newItems: Item[];
  parentId: string | null;
  sessionId: string;
  /** The hold on the `conversation`, when the turn adds to one; its items are added and it is released by the saver. */
  claim: ConversationClaim | undefined;
}

/**
 * Prior turns, the new input with its references resolved, instructions carried forward, truncation.
 * A `conversation` turn first claims the conversation (409 `conversation_conflict` while another turn
 * holds it) and continues from its items as they were when claimed. A `conversation` that is not a
 * `conv_` id is a name: created on its first turn (404 `conversation_not_found` for an unknown `conv_` id).
 */
export async function resolveTurn(
  context: RuntimeContext,
  request: DecodedResponsesRequest,
  responseId: string,
  /** The route's context budget (`models.<name>.contextTokens`), else `agent.contextTokens`. */
  contextTokens = context.config.agent.contextTokens,
): Promise<Turn> {
  const { settings } = request;
  let prior: Item[] = request.history ?? [];
  let parentId: string | null = null;
  let sessionId: string | undefined;
  let claim: ConversationClaim | undefined;
  if (!request.history && request.conversation)
    claim = await context.conversations.claim(request.conversation, responseId, {
      create: !isConversationId(request.conversation),
      sessionId: () => randomId("sess_"),
    });
  try {
    const from = request.history ? null : settings.previous_response_id;
    if (claim) {
      prior = [...claim.items];
      sessionId = claim.conversation.sessionId;
    } else if (from) {
      const chain = await context.responses.history(from);
      if (chain) {
        prior = chain.items;
        parentId = from;
        sessionId = chain.record.sessionId;
        settings.instructions ??= chain.record.response.settings.instructions ?? null;
      } else {
        throw new HermesError(`Previous response not found: ${from}`, { status: 404, code: "previous_response_not_found", param: "previous_response_id" });
      }
    }
    const newItems = await resolveReferences(context, request.input, prior);
    const all = [...prior, ...newItems];
    return {
      items: settings.truncation === "auto" ? truncateHistory(all, contextTokens) : all,
      prior,
      newItems,
      parentId,
      sessionId: sessionId ?? randomId("sess_"),
      claim,
    };
  } catch (error) {
    await claim?.finish(null);
    throw error;
  }
}
