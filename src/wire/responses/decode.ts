import { HermesError, type Item, type RunInput, type TextFormat } from "../../protocol/index.ts";
import { type NewId } from "../../utils/index.ts";
import { toRequestError } from "../zod-error.ts";
import { inputToItems, type ItemReference, messageToItem } from "./items.ts";
import { type ResponsesRequest, responsesRequestSchema } from "./schema.ts";

/** The request settings a Response object echoes back, as the client sent them (defaults filled). */
export interface ResponseSettings {
  instructions: string | null;
  previous_response_id: string | null;
  /** The conversation the turn's items were added to. */
  conversation: { id: string } | null;
  store: boolean;
  background: boolean;
  metadata: Record<string, string>;
  tools: NonNullable<ResponsesRequest["tools"]>;
  tool_choice: NonNullable<ResponsesRequest["tool_choice"]>;
  parallel_tool_calls: boolean;
  temperature: number | null;
  top_p: number | null;
  max_output_tokens: number | null;
  text: { format: TextFormat };
  reasoning: { effort: string | null; summary: string | null };
  truncation: "auto" | "disabled";
  user: string | null;
}

/** What each setting is when the request leaves it out: stored responses keep only what differs. */
export const defaultSettings: ResponseSettings = {
  instructions: null,
  previous_response_id: null,
  conversation: null,
  store: true,
  background: false,
  metadata: {},
  tools: [],
  tool_choice: "auto",
  parallel_tool_calls: true,
  temperature: null,
  top_p: null,
  max_output_tokens: null,
  text: { format: { type: "text" } },
  reasoning: { effort: null, summary: null },
  truncation: "disabled",
  user: null,
};

export interface DecodedResponsesRequest {
  model: string | undefined;
  stream: boolean;
  /** This turn's new input, oldest first; references still to be resolved against the history. */
  input: (Item | ItemReference)[];
  /** The `conversation` (a `conv_` id, or a name) whose items are the history and that the turn adds to. */
  conversation: string | undefined;
  /** The `conversation_history` extension: explicit prior turns, taking precedence over any chain. */
  history: Item[] | undefined;
  /** What goes upstream besides the items. */
  run: Omit<RunInput, "model" | "instructions" | "items">;
  settings: ResponseSettings;
}

/** Decodes a `POST /v1/responses` body; a bad one throws a 400 HermesError naming the field. */
export function decodeResponsesRequest(body: unknown, newId: NewId): DecodedResponsesRequest {
  const parsed = responsesRequestSchema.safeParse(body);
  if (!parsed.success) throw toRequestError(parsed.error);
  const request = parsed.data;
  if (request.conversation != null && request.previous_response_id != null)
    throw new HermesError("Use either 'conversation' or 'previous_response_id', not both", {
      status: 400,
      code: "invalid_request",
      param: "conversation",
    });
  const store = request.store ?? true;
  const background = request.background === true;
  if (background && !store)
    throw new HermesError("Background responses must be stored: 'background' needs 'store' left true", {
      status: 400,
      code: "invalid_request",
      param: "background",
    });

  const conversation = typeof request.conversation === "string" ? request.conversation : request.conversation?.id;
  const input = typeof request.input === "string" ? [{ role: "user" as const, content: request.input }] : request.input;
  const tools = request.tools ?? [];
  const format: TextFormat = request.text?.format
    ? request.text.format.type === "json_schema"
      ? {
          type: "json_schema",
          name: request.text.format.name,
          schema: request.text.format.schema,
          ...(request.text.format.description !== undefined && { description: request.text.format.description }),
          ...(request.text.format.strict != null && { strict: request.text.format.strict }),
        }
      : { type: request.text.format.type }
    : { type: "text" };

  const run: DecodedResponsesRequest["run"] = {
    tools: tools.map((tool) => ({
      name: tool.name,
      ...(tool.description != null && { description: tool.description }),
      ...(tool.parameters != null && { parameters: tool.parameters }),
      ...(tool.strict != null && { strict: tool.strict }),
    })),
  };
  if (request.tool_choice != null) run.toolChoice = request.tool_choice;
  if (request.parallel_tool_calls != null) run.parallelToolCalls = request.parallel_tool_calls;
  if (request.temperature != null) run.temperature = request.temperature;
  if (request.top_p != null) run.topP = request.top_p;
  if (request.max_output_tokens != null) run.maxOutputTokens = request.max_output_tokens;
  if (request.text?.format) run.textFormat = format;
  if (request.reasoning?.effort != null) run.reasoningEffort = request.reasoning.effort;
  if (request.user != null) run.user = request.user;
  if (request.metadata != null) run.metadata = request.metadata;

  const inputItems = inputToItems(input, newId);
  // `conversation_history` takes precedence: such a turn is not added to the conversation.
  const history = request.conversation_history?.map((message) => messageToItem(message, newId));
  return {
    model: request.model,
    stream: request.stream === true,
    input: inputItems,
    conversation,
    history,
    run,
    settings: {
      instructions: request.instructions ?? null,
      previous_response_id: request.previous_response_id ?? null,
      conversation: conversation !== undefined && !history ? { id: conversation } : null,
      store,
      background,
      metadata: request.metadata ?? {},
      tools,
      tool_choice: request.tool_choice ?? "auto",
      parallel_tool_calls: request.parallel_tool_calls ?? true,
      temperature: request.temperature ?? null,
      top_p: request.top_p ?? null,
      max_output_tokens: request.max_output_tokens ?? null,
      text: { format },
      reasoning: { effort: request.reasoning?.effort ?? null, summary: request.reasoning?.summary ?? null },
      truncation: request.truncation ?? "disabled",
      user: request.user ?? null,
    },
  };
}
