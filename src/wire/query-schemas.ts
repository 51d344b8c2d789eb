import { z } from "zod";

/**
 * Pieces of query-string schemas, for h3's `getValidatedQuery` (which parses the query itself). h3
 * hands a repeated parameter over as an array and `?limit=` as "": the last value wins, as
 * `Object.fromEntries(url.searchParams)` reads it, and an empty value counts as absent, so it takes
 * the default as an empty form field would.
 */
export function queryParam<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => {
    const last = Array.isArray(value) ? value.at(-1) : value;
    return last === "" ? undefined : last;
  }, schema);
}

/** A whole number from its decimal digits (spaces around them ignored), within bounds; every refusal says `expected`. */
export function queryInteger(min: number, max: number, expected = `Expected a whole number from ${min} to ${max}`) {
  return z.string().trim().regex(/^\d+$/, expected).transform(Number).pipe(z.number().int().min(min, expected).max(max, expected));
}

/** `true`/`1` or `false`/`0`, in any case, spaces around them ignored. */
export const queryBoolean = z
  .string()
  .trim()
  .pipe(z.stringbool({ truthy: ["true", "1"], falsy: ["false", "0"], error: "Expected true, 1, false or 0" }));
