import type { z } from "zod";
import { HermesError } from "../protocol/index.ts";

/** `["messages", 2, "content"]` → `messages[2].content`, the way OpenAI names a `param`. */
export function formatParam(path: readonly PropertyKey[]): string | null {
  let param = "";
  for (const key of path) param += typeof key === "number" ? `[${key}]` : param ? `.${String(key)}` : String(key);
  return param || null;
}

/** zod's issues: a `ZodError`, or the failure h3's `getValidatedQuery` gets from a zod schema. */
export interface ZodIssues {
  readonly issues: readonly z.core.$ZodIssue[];
}

/**
 * The first zod issue as a 400. A refinement may name its own stable `code` through `params.code`;
 * anything else is `invalid_request`. Messages say what was expected and where.
 */
export function toRequestError(error: ZodIssues): HermesError {
  const issue = error.issues[0];
  if (!issue) return new HermesError("Invalid request body", { status: 400, code: "invalid_request" });
  const param = formatParam(issue.path);
  const code = issue.code === "custom" && typeof issue.params?.code === "string" ? issue.params.code : "invalid_request";
  let message = issue.message;
  if (issue.code === "unrecognized_keys") message = `Unrecognized field ${issue.keys.map((k) => `'${k}'`).join(", ")}`;
  return new HermesError(param ? `${message} at '${param}'` : message, { status: 400, code, param });
}
