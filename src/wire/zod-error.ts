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
  const first = error.issues[0];
  if (!first) return new HermesError("Invalid request body", { status: 400, code: "invalid_request" });
  const issue = deepestIssue(first);
  if (!issue) return new HermesError("Invalid request body", { status: 400, code: "invalid_request" });
  const param = formatParam(issue.path);
  const code = issue.code === "custom" && typeof issue.params?.code === "string" ? issue.params.code : "invalid_request";
  let message = issue.message;
  if (issue.code === "unrecognized_keys") message = `Unrecognized field ${issue.keys.map((k) => `'${k}'`).join(", ")}`;
  return new HermesError(param ? `${message} at '${param}'` : message, { status: 400, code, param });
}

/** zod's message for a union none of whose branches matched, when the schema names no message of its own. */
const genericUnionMessage = "Invalid input";

/**
 * Where a value failed a union: zod reports the union itself ("Invalid input" at `input`), with each
 * branch's issues inside. The branch that got furthest into the value says what is wrong and where
 * (`input[3].type`), as OpenAI does. A union whose schema names its own message keeps it.
 */
function deepestIssue(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== "invalid_union" || issue.message !== genericUnionMessage || issue.errors.length === 0) return issue;
  // Deepest first; between branches as deep, the one with fewer complaints (it matched more of the value).
  let best: { issue: z.core.$ZodIssue; count: number } | undefined;
  for (const branch of issue.errors) {
    const candidate = branch[0];
    if (!candidate) continue;
    const deeper = best === undefined || candidate.path.length > best.issue.path.length;
    const asDeepWithFewer = best !== undefined && candidate.path.length === best.issue.path.length && branch.length < best.count;
    if (deeper || asDeepWithFewer) best = { issue: candidate, count: branch.length };
  }
  if (best === undefined || best.issue.path.length === 0) return issue;
  const inner = deepestIssue(best.issue);
  return { ...inner, path: [...issue.path, ...inner.path] };
}
