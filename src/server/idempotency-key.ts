import type { H3Event } from "h3";
import { HermesError } from "../protocol/index.ts";

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
