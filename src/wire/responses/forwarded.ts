import { z } from "zod";
import { toRequestError } from "../zod-error.ts";

/**
 * `POST /v1/responses/input_tokens` and `/v1/responses/compact`: bodies the proxy passes to a Responses
 * upstream as they are. Only the fields it acts on are read: `model` (mapped to the upstream's),
 * `previous_response_id` (the proxy's own id: its stored chain is sent instead) and `conversation`
 * (the proxy's too, not the upstream's). Everything else is the upstream's to judge.
 */
const forwardedSchema = z.looseObject({
  model: z.string().min(1).optional(),
  previous_response_id: z.string().min(1).nullish(),
  input: z.union([z.string(), z.array(z.unknown())]).nullish(),
  instructions: z.string().nullish(),
  conversation: z.unknown().optional(),
});

export type ForwardedRequest = z.output<typeof forwardedSchema>;

/** @throws {HermesError} 400 naming the field, as every decoder does. */
export function decodeForwardedRequest(body: unknown): ForwardedRequest {
  const parsed = forwardedSchema.safeParse(body);
  if (!parsed.success) throw toRequestError(parsed.error);
  return parsed.data;
}
