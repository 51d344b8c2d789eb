import type { ServerContext } from "../context.ts";
import { modelRoutes } from "../../upstream/router/index.ts";

const LIST_TTL_MS = 60_000;

/**
 * `GET /v1/models`: the advertised name and its aliases; and, when no upstream model is pinned, the
 * upstream's own models (cached briefly) so a frontend can offer them. An upstream that cannot list
 * its models leaves just ours.
 */
export function createModelsHandler(context: ServerContext) {
  const { config, upstream } = context;
  let cached: { ids: string[]; until: number } | undefined;

  const upstreamModels = async (): Promise<string[]> => {
    if (config.upstream.model || !upstream.listModels) return [];
    if (cached && cached.until > Date.now()) return cached.ids;
    const ids = await upstream.listModels(AbortSignal.timeout(5_000)).catch(() => [] as string[]);
    cached = { ids, until: Date.now() + LIST_TTL_MS };
    return ids;
  };

  return async () => {
    const created = Math.floor(context.startedAt / 1000);
    // With a models table, its advertised names are the whole list: never an upstream or its credentials.
    const { routes, implicit } = modelRoutes(config);
    if (!implicit) return { object: "list", data: [...routes.keys()].map((id) => ({ id, object: "model", created, owned_by: "hermes" })) };
    const ours = [config.model.name, ...config.model.aliases];
    const data = ours.map((id) => ({ id, object: "model", created, owned_by: "hermes" }));
    for (const id of await upstreamModels()) if (!ours.includes(id)) data.push({ id, object: "model", created, owned_by: "upstream" });
    return { object: "list", data };
  };
}
