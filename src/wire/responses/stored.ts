import type { Item, Usage } from "../../protocol/index.ts";
import { defaultSettings, type ResponseSettings } from "./decode.ts";
import { echoedFields } from "./fields.ts";
import { itemToWire, outputToItems } from "./items.ts";
import { build, type ResponseObject, type ResponseStatus } from "./response-object.ts";

/**
 * A Response object as storage keeps it: protocol items instead of wire items, usage without zeroed
 * details, and only the settings that differ from their defaults. A stored turn then costs little
 * more than its messages, and `expandResponse` gives back exactly the object the client was sent.
 */
export interface CompactResponse {
  id: string;
  createdAt: number;
  status: ResponseStatus;
  model: string;
  output: Item[];
  usage?: Usage;
  error?: { code: string; message: string };
  incompleteReason?: string;
  settings: Partial<ResponseSettings>;
}

export function compactResponse(response: ResponseObject): CompactResponse {
  const settings: Partial<ResponseSettings> = {};
  for (const key of Object.keys(defaultSettings) as (keyof ResponseSettings)[]) {
    if (key === "echoed") continue;
    if (JSON.stringify(response[key]) !== JSON.stringify(defaultSettings[key])) Object.assign(settings, { [key]: response[key] });
  }
  const echoed: Record<string, unknown> = {};
  for (const key of echoedFields) if (Object.hasOwn(response, key)) echoed[key] = (response as unknown as Record<string, unknown>)[key];
  if (Object.keys(echoed).length > 0) settings.echoed = echoed;
  const compact: CompactResponse = {
    id: response.id,
    createdAt: response.created_at,
    status: response.status,
    model: response.model,
    output: outputToItems(response.output),
    settings,
  };
  if (response.usage) compact.usage = fromResponsesUsage(response.usage);
  if (response.error) compact.error = response.error;
  if (response.incomplete_details) compact.incompleteReason = response.incomplete_details.reason;
  return compact;
}

/**
 * A compacted response back to the object the client was sent. Storage keeps the settings without
 * reading them, so they come back typed loosely: they are what `compactResponse` wrote.
 */
export function expandResponse(compact: Omit<CompactResponse, "settings"> & { settings: Readonly<Record<string, unknown>> }): ResponseObject {
  const settings = { ...defaultSettings, ...(compact.settings as Partial<ResponseSettings>) };
  return build(
    { id: compact.id, createdAt: compact.createdAt, model: compact.model, settings },
    compact.status,
    compact.output.map(itemToWire),
    compact.error ?? null,
    compact.incompleteReason ? { reason: compact.incompleteReason } : null,
    compact.usage ?? null,
  );
}

function fromResponsesUsage(usage: NonNullable<ResponseObject["usage"]>): Usage {
  const compact: Usage = { inputTokens: usage.input_tokens, outputTokens: usage.output_tokens, totalTokens: usage.total_tokens };
  if (usage.output_tokens_details.reasoning_tokens) compact.reasoningTokens = usage.output_tokens_details.reasoning_tokens;
  if (usage.input_tokens_details.cached_tokens) compact.cachedTokens = usage.input_tokens_details.cached_tokens;
  return compact;
}
