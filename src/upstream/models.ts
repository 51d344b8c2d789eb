import { z } from "zod";
import type { UpstreamHttp } from "./http.ts";
import { upstreamError } from "./http-errors.ts";

/** `GET {baseURL}/models`: both OpenAI APIs list models the same way; only the ids are read. */
const modelListSchema = z.object({ data: z.array(z.object({ id: z.string() })) });

/** The upstream's model ids, for `/v1/models`. Shared by the chat and responses upstreams. */
export async function listUpstreamModels(http: UpstreamHttp, signal: AbortSignal | undefined): Promise<string[]> {
  const response = await http.request({ method: "GET", path: "/models", signal });
  // Read outside the parse's try: a body past the size bound says so, not "not JSON".
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw upstreamError("The upstream sent a model list that is not JSON", error);
  }
  const parsed = modelListSchema.safeParse(body);
  if (!parsed.success) throw upstreamError("The upstream sent an unreadable model list", parsed.error);
  return parsed.data.data.map((model) => model.id);
}

/** A JSON media type (`application/json` or `…+json`). */
export function isJson(contentType: string): boolean {
  return contentType === "application/json" || contentType.endsWith("+json");
}
