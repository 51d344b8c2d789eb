import { getValidatedQuery, type H3Event, HTTPError } from "h3";
import type { z } from "zod";
import type { HermesError } from "../protocol/index.ts";
import { toRequestError, type ZodIssues } from "../wire/zod-error.ts";

/**
 * The query string, parsed by h3's `getValidatedQuery` and judged by a zod schema. A refusal is the
 * 400 `toError` makes of zod's issues (by default `invalid_request` naming the parameter).
 */
export async function validatedQuery<S extends z.ZodType>(
  event: H3Event,
  schema: S,
  toError: (error: ZodIssues) => HermesError = toRequestError,
): Promise<z.output<S>> {
  const query = await getValidatedQuery(event, schema, {
    // zod's Standard Schema `validate` reports zod's own issues, `code` and `params` included. h3
    // throws an HTTPError as it is; built on the HermesError, it holds it as its `cause`, which is
    // where `errors.ts` finds the envelope's code and param (as for a HermesError a handler throws).
    onError: (failure) => new HTTPError(toError(failure as ZodIssues)),
  });
  // The output is zod's, which TypeScript cannot see through h3's Standard Schema generic.
  return query as z.output<S>;
}
