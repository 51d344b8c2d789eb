import { type FunctionTool, HermesError, type HostedTool, type Item, type RunInput, type TextFormat } from "../../protocol/index.ts";
import { routeResponsesFields } from "./fields.ts";
import { type NewId } from "../../utils/index.ts";
import { toRequestError } from "../zod-error.ts";
import { inputToItems, type ItemReference, messageToItem } from "./items.ts";
import { type FunctionToolParam, type NamespaceToolParam, type ResponsesRequest, type ResponsesTool, responsesRequestSchema } from "./schema.ts";

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
  text: { format: TextFormat; verbosity?: string };
  reasoning: { effort: string | null; summary: string | null };
  truncation: "auto" | "disabled";
  user: string | null;
  /** The fields the Response object echoes as sent (`prompt_cache_key`, `service_tier`, …; see `fields.ts`). */
  echoed: Record<string, unknown>;
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
  echoed: {},
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

  const run: DecodedResponsesRequest["run"] = splitTools(tools);
  const routed = routeResponsesFields(body as Record<string, unknown>);
  const extras: NonNullable<RunInput["extras"]> = {};
  if (Object.keys(routed.responses).length > 0) extras.responses = routed.responses;
  if (Object.keys(routed.chat).length > 0) extras.chat = routed.chat;
  if (extras.responses || extras.chat) run.extras = extras;
  if (typeof request.tool_choice === "string" || request.tool_choice?.type === "function") run.toolChoice = request.tool_choice as RunInput["toolChoice"];
  // A hosted tool's choice means something only to an upstream that runs it: sent as it came, to it alone.
  else if (request.tool_choice != null) (run.extras ??= {}).responses = { ...run.extras?.responses, tool_choice: request.tool_choice };
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
      text: { format, ...(request.text?.verbosity != null && { verbosity: request.text.verbosity }) },
      reasoning: { effort: request.reasoning?.effort ?? null, summary: request.reasoning?.summary ?? null },
      truncation: request.truncation ?? "disabled",
      user: request.user ?? null,
      echoed: routed.echo,
    },
  };
}

/**
 * The request's tools as the run takes them: function tools (those of a `namespace` tool carrying its
 * name), and every other type as a hosted tool, passed on as sent (a `custom` tool inside a namespace
 * carries `namespace` for the agent loop to qualify its name).
 */
function splitTools(tools: readonly ResponsesTool[]): Pick<RunInput, "tools" | "hostedTools"> {
  const functions: FunctionTool[] = [];
  const hosted: HostedTool[] = [];
  const addFunction = (tool: FunctionToolParam, namespace?: string) =>
    functions.push({
      name: tool.name,
      ...(namespace !== undefined && { namespace }),
      ...(tool.description != null && { description: tool.description }),
      ...(tool.parameters != null && { parameters: tool.parameters }),
      ...(tool.strict != null && { strict: tool.strict }),
    });
  for (const tool of tools) {
    if (tool.type === "function") addFunction(tool as FunctionToolParam);
    else if (tool.type === "namespace")
      for (const inner of (tool as NamespaceToolParam).tools) {
        if (inner.type === "function") addFunction(inner as FunctionToolParam, (tool as NamespaceToolParam).name);
        else hosted.push({ ...inner, namespace: (tool as NamespaceToolParam).name });
      }
    else hosted.push(tool as HostedTool);
  }
  return hosted.length > 0 ? { tools: functions, hostedTools: hosted } : { tools: functions };
}
