import { type ContentPart, type FunctionTool, HermesError, type Item, textOf } from "../../protocol/index.ts";
import { toRequestError } from "../zod-error.ts";
import { approvalRequestSchema, type RunInputItem, type RunMessage, runRequestSchema } from "./schema.ts";

/** A `POST /v1/runs` body, decoded: state (previous response, session) is resolved by the route. */
export interface DecodedRunRequest {
  /** The new input, as items (a string input is one user message). */
  input: Item[];
  /** `conversation_history`, when given: it takes precedence over `previous_response_id`. */
  history: Item[] | undefined;
  instructions: string | undefined;
  previousResponseId: string | undefined;
  sessionId: string | undefined;
  model: string | undefined;
  tools: FunctionTool[];
}

/** Decodes a Runs request body; a bad one throws a 400 HermesError naming the field. */
export function decodeRunRequest(body: unknown): DecodedRunRequest {
  const parsed = runRequestSchema.safeParse(body);
  if (!parsed.success) throw toRequestError(parsed.error);
  const request = parsed.data;
  const input = typeof request.input === "string" ? [userMessage(request.input)] : request.input.map(toItem);
  if (input.length === 0 || (typeof request.input === "string" && request.input.trim() === ""))
    throw new HermesError("No user message found in input", { status: 400, code: "missing_input", param: "input" });
  return {
    input,
    history: request.conversation_history?.map(toItem) ?? undefined,
    instructions: request.instructions ?? undefined,
    previousResponseId: request.previous_response_id ?? undefined,
    sessionId: request.session_id ?? undefined,
    model: request.model ?? undefined,
    tools: (request.tools ?? []).map((tool) => {
      const spec = "function" in tool ? tool.function : tool;
      return {
        name: spec.name,
        ...(spec.description !== undefined && { description: spec.description }),
        ...(spec.parameters !== undefined && { parameters: spec.parameters }),
        ...(spec.strict != null && { strict: spec.strict }),
      };
    }),
  };
}

/** `{choice, all?}` of `POST /v1/runs/{id}/approval`; `approve`, `approved` and `allow` mean `once`. */
export function decodeApprovalRequest(body: unknown): { choice: "once" | "deny"; all: boolean } {
  const parsed = approvalRequestSchema.safeParse(body);
  if (!parsed.success) throw toRequestError(parsed.error);
  const choice = parsed.data.choice.trim().toLowerCase();
  const all = parsed.data.all === true || parsed.data.resolve_all === true;
  if (["once", "approve", "approved", "allow"].includes(choice)) return { choice: "once", all };
  if (choice === "deny") return { choice: "deny", all };
  throw new HermesError(`Invalid approval choice '${parsed.data.choice}'; expected "once" or "deny"`, {
    status: 400,
    code: "invalid_approval_choice",
    param: "choice",
  });
}

function userMessage(text: string): Item {
  return { type: "message", role: "user", content: [{ type: "input_text", text }] };
}

function toItem(item: RunInputItem | RunMessage): Item {
  if (item.type === "function_call") return { type: "function_call", call_id: item.call_id, name: item.name, arguments: item.arguments };
  if (item.type === "function_call_output")
    return { type: "function_call_output", call_id: item.call_id, output: typeof item.output === "string" ? item.output : textOf(item.output.map(toPart)) };
  const message = item as RunMessage;
  const parts = typeof message.content === "string" ? [{ type: "input_text" as const, text: message.content }] : message.content.map(toPart);
  const content = message.role === "assistant" ? [{ type: "output_text" as const, text: textOf(parts) }] : parts;
  return { type: "message", role: message.role, content };
}

function toPart(part: Exclude<RunMessage["content"], string>[number]): ContentPart {
  if (part.type === "image_url")
    return { type: "input_image", image_url: part.image_url.url, ...(part.image_url.detail !== undefined && { detail: part.image_url.detail }) };
  if (part.type === "input_image") return { type: "input_image", image_url: part.image_url, ...(part.detail !== undefined && { detail: part.detail }) };
  return { type: part.type === "output_text" ? "output_text" : "input_text", text: part.text };
}
