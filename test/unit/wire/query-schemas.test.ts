import { describe, expect, it } from "vitest";
import { z } from "zod";
import { queryBoolean, queryInteger, queryParam } from "../../../src/wire/query-schemas.ts";
import { toRequestError } from "../../../src/wire/zod-error.ts";

/** A query as h3's `getQuery` hands it over: strings, arrays for repeated keys. */
type Query = Record<string, string | string[]>;

const schema = z.object({
  limit: queryParam(queryInteger(1, 20).default(5)),
  flag: queryParam(queryBoolean.default(false)),
  after: queryParam(z.string().optional()),
});

const refusal = (query: Query) => {
  const parsed = schema.safeParse(query);
  if (parsed.success) throw new Error("expected a refusal");
  return toRequestError(parsed.error);
};

describe("query-string schema pieces", () => {
  it("reads absent and empty values as their defaults, the last of repeated values, and spaces around numbers", () => {
    expect(schema.parse({})).toEqual({ limit: 5, flag: false, after: undefined });
    expect(schema.parse({ limit: "", flag: "", after: "" })).toEqual({ limit: 5, flag: false, after: undefined });
    expect(schema.parse({ limit: ["2", "3"], flag: ["0", "TRUE"], after: ["a", "b"] })).toEqual({ limit: 3, flag: true, after: "b" });
    expect(schema.parse({ limit: " 20 ", flag: " 1 " })).toMatchObject({ limit: 20, flag: true });
  });

  it("refuses with a 400 naming the parameter and what was expected", () => {
    for (const limit of ["0", "21", "-1", "1.5", "1e1", "x"])
      expect(refusal({ limit })).toMatchObject({
        status: 400,
        code: "invalid_request",
        param: "limit",
        message: "Expected a whole number from 1 to 20 at 'limit'",
      });
    expect(refusal({ flag: "maybe" })).toMatchObject({
      status: 400,
      code: "invalid_request",
      param: "flag",
      message: "Expected true, 1, false or 0 at 'flag'",
    });
  });
});

describe("toRequestError on a union", () => {
  const item = z.union([z.object({ type: z.literal("message"), content: z.string() }), z.object({ type: z.literal("function_call"), name: z.string() })]);
  const body = z.object({ input: z.union([z.string(), z.array(item)]) });
  const errorOf = (value: unknown) => toRequestError(body.safeParse(value).error!);

  it("names where the branch that got furthest failed, not the union", () => {
    expect(errorOf({ input: [{ type: "message", content: "hi" }, { type: "additional_tools" }] }).toInfo()).toMatchObject({
      status: 400,
      code: "invalid_request",
      param: "input[1].type",
    });
    expect(errorOf({ input: [{ type: "function_call", name: 3 }] }).toInfo()).toMatchObject({ param: "input[0].name" });
  });

  it("keeps the union's own place when no branch got into the value, and a message the schema names", () => {
    expect(errorOf({ input: 42 }).toInfo()).toMatchObject({ param: "input", message: "Invalid input at 'input'" });
    const named = z.object({ input: z.union([z.string(), z.number()], { error: "input is text or a number" }) });
    expect(toRequestError(named.safeParse({ input: [1] }).error!).toInfo()).toMatchObject({ param: "input", message: "input is text or a number at 'input'" });
  });
});
