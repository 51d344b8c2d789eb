import { z } from "zod";
import { queryInteger, queryParam } from "../query-schemas.ts";
import { metadata } from "../shared-schemas.ts";
import { inputItemSchema } from "../responses/schema.ts";

/**
 * The Conversations API's requests (`/v1/conversations*`), as in the OpenAI spec: items are the
 * Responses API's input items (an `item_reference` names any item stored here), at most 20 a request.
 */

const maxItemsPerRequest = 20;
const items = z.array(inputItemSchema).max(maxItemsPerRequest, `At most ${maxItemsPerRequest} items can be added at a time`);

/** `POST /v1/conversations`. */
export const createConversationSchema = z.object({
  metadata: metadata.nullish(),
  items: items.nullish(),
});

/** `POST /v1/conversations/{id}`: the metadata replaces the conversation's. */
export const updateConversationSchema = z.object({ metadata: metadata.nullable() });

/** `POST /v1/conversations/{id}/items`. */
export const addItemsSchema = z.object({ items: items.min(1, "Give at least one item") });

/** `include` names extra fields to return; every item here is returned whole, so any listed value is accepted. */
const include = queryParam(z.union([z.string(), z.array(z.string())]).optional());

/** `GET /v1/conversations/{id}/items`: `limit` 1-100 (default 20), `order` (default `desc`), `after` an item id. */
export const listItemsQuerySchema = z.object({
  limit: queryParam(queryInteger(1, 100).default(20)),
  order: queryParam(z.enum(["asc", "desc"], "Expected 'asc' or 'desc'").default("desc")),
  after: queryParam(z.string().optional()),
  include,
});

/** `GET /v1/conversations/{id}/items/{item_id}` and `POST …/items`. */
export const itemQuerySchema = z.object({ include });
