/** Hosts of well-known providers, by the value the GenAI conventions give them (`gen_ai.provider.name`). */
const knownHosts: readonly [RegExp, string][] = [
  [/(^|\.)openai\.azure\.com$/, "azure.ai.openai"],
  [/(^|\.)api\.openai\.com$/, "openai"],
  [/(^|\.)api\.anthropic\.com$/, "anthropic"],
  [/(^|\.)api\.groq\.com$/, "groq"],
  [/(^|\.)api\.mistral\.ai$/, "mistral_ai"],
  [/(^|\.)api\.deepseek\.com$/, "deepseek"],
  [/(^|\.)api\.x\.ai$/, "x_ai"],
  [/(^|\.)api\.perplexity\.ai$/, "perplexity"],
  [/(^|\.)generativelanguage\.googleapis\.com$/, "gcp.gemini"],
  [/(^|\.)bedrock-runtime\.[a-z0-9-]+\.amazonaws\.com$/, "aws.bedrock"],
];

/**
 * The GenAI provider of an upstream: a well-known name when its host is one, else the upstream's name
 * in the config (the conventions allow a custom value when none fits), `hermes.echo` for the embedded one.
 */
export function providerName(origin: string | undefined, upstream: string, api: string): string {
  if (api === "echo") return "hermes.echo";
  if (origin === undefined) return upstream;
  let host: string;
  try {
    host = new URL(origin).hostname;
  } catch {
    return upstream;
  }
  for (const [pattern, name] of knownHosts) if (pattern.test(host)) return name;
  return upstream;
}
