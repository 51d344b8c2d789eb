import { truncateHistory } from "../../agent/truncate.ts";
import { HermesError, type Item } from "../../protocol/index.ts";
import { randomId } from "../../utils/index.ts";
import type { ConversationClaim } from "../../state/conversations.ts";
import type { DecodedResponsesRequest, ItemReference } from "../../wire/responses/index.ts";
import type { RuntimeContext } from "../context.ts";

export interface Turn {
  /** The whole history sent upstream. */
  items: Item[];
  /** The history before this turn, untruncated. */
  prior: Item[];
  /** What this turn adds (stored with it). */
  newItems: Item[];
  parentId: string | null;
  sessionId: string;
  /** The hold on the `conversation` name, when the turn advances one; released by the saver. */
  claim: ConversationClaim | undefined;
}

/**
 * Prior turns, the new input with its references resolved, instructions carried forward, truncation.
 * A `conversation` turn first claims the name (409 `conversation_conflict` while another turn holds
 * it) and continues from the response the name pointed at when claimed.
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
  if (!request.history && request.conversation) claim = await context.conversations.claim(request.conversation, responseId);
  try {
    const from = request.history ? null : (settings.previous_response_id ?? claim?.previous ?? null);
    if (from) {
      const chain = await context.responses.history(from);
      if (chain) {
        prior = chain.items;
        parentId = from;
        sessionId = chain.record.sessionId;
        settings.instructions ??= chain.record.response.settings.instructions ?? null;
      } else if (settings.previous_response_id) {
        throw new HermesError(`Previous response not found: ${from}`, { status: 404, code: "previous_response_not_found", param: "previous_response_id" });
      }
    }
    const newItems = request.input.map((item) => resolveReference(item, prior));
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

function resolveReference(item: Item | ItemReference, prior: readonly Item[]): Item {
  if (item.type !== "item_reference") return item;
  const found = prior.find((candidate) => candidate.id === item.id);
  if (!found) throw new HermesError(`Item not found: ${item.id}`, { status: 400, code: "item_not_found", param: "input" });
  return found;
}
