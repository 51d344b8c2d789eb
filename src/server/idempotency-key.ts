import type { H3Event } from "h3";
import { FastResponse } from "srvx";
import { HermesError } from "../protocol/index.ts";
import type { IdempotencyStore, StoredReply } from "../state/idempotency.ts";

/** The request's `Idempotency-Key`, if any: 1-255 visible ASCII characters, as the original server requires. */
export function idempotencyKey(event: H3Event): string | undefined {
  const key = event.req.headers.get("idempotency-key");
  if (key === null) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(key))
    throw new HermesError("Idempotency-Key must be 1-255 visible ASCII characters", {
      status: 400,
      code: "invalid_idempotency_key",
      param: "Idempotency-Key",
    });
  return key;
}

const jsonHeaders = { "content-type": "application/json; charset=utf-8" };

/**
 * A JSON answer produced once per `Idempotency-Key`: without a key, `produce` answers; with one, a
 * retry with the same key and body gets the stored answer back, marked `Idempotency-Replayed: true`.
 * srvx writes a `FastResponse` straight to Node's response; h3's `HTTPResponse` would build web
 * `Headers` for it (`chat-json-50`, `responses-json-50`).
 */
export async function idempotentJson(
  idempotency: IdempotencyStore,
  scope: string,
  key: string | undefined,
  requestText: string,
  produce: () => Promise<StoredReply>,
): Promise<Response> {
  const reply = key ? await idempotency.run(scope, key, requestText, produce) : { ...(await produce()), replayed: false };
  return new FastResponse(JSON.stringify(reply.body), {
    status: reply.status,
    headers: { ...jsonHeaders, ...reply.headers, ...(reply.replayed && { "idempotency-replayed": "true" }) },
  });
}
