/** Environment variables as `process.env` holds them. */
export type ConfigEnv = Readonly<Record<string, string | undefined>>;

/** The command-line flags that feed the configuration. */
export interface ConfigFlags {
  port?: string | number;
  host?: string;
  /** Path of the config file; read by the loader, not overlaid. */
  config?: string;
}

/** Where an overridden field's value came from, by dotted path: `"server.port" → "HERMES_PORT"`. */
export type ConfigOrigins = ReadonlyMap<string, string>;

export interface OverlaidConfig {
  /** The config file's object with the environment and flags applied; still unvalidated. */
  input: Record<string, unknown>;
  origins: ConfigOrigins;
}

interface Override {
  path: readonly [string, ...string[]];
  /** Read before the config file, first set one wins: HERMES_* before the original server's names. */
  env: readonly string[];
  /**
   * Read only when neither the environment above nor the file sets the field. OPENAI_* variables are
   * often exported for other tools: letting them beat an explicit `upstream` block would send a stray
   * OpenAI key to whatever host the file names.
   */
  fallbackEnv?: readonly string[];
  flag?: "port" | "host";
  parse: (raw: string) => unknown;
}

const text = (raw: string): string => raw;

/** Anything but a plain integer stays a string so that validation reports it, naming the variable. */
const integer = (raw: string): number | string => (/^[+-]?\d+$/.test(raw) ? Number(raw) : raw);

/** The usual spellings of on and off; anything else stays a string so that validation names the variable. */
const flag = (raw: string): boolean | string => {
  const value = raw.toLowerCase();
  if (["1", "true", "yes", "on"].includes(value)) return true;
  if (["0", "false", "no", "off"].includes(value)) return false;
  return raw;
};

const list = (raw: string): string[] =>
  raw
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");

const overrides: readonly Override[] = [
  { path: ["server", "port"], env: ["HERMES_PORT", "API_SERVER_PORT"], flag: "port", parse: integer },
  { path: ["server", "host"], env: ["HERMES_HOST", "API_SERVER_HOST"], flag: "host", parse: text },
  { path: ["server", "apiKey"], env: ["HERMES_API_KEY", "API_SERVER_KEY"], parse: text },
  { path: ["server", "tls", "cert"], env: ["HERMES_TLS_CERT"], parse: text },
  { path: ["server", "tls", "key"], env: ["HERMES_TLS_KEY"], parse: text },
  { path: ["server", "cors", "origins"], env: ["HERMES_CORS_ORIGINS", "API_SERVER_CORS_ORIGINS"], parse: list },
  { path: ["model", "name"], env: ["HERMES_MODEL_NAME", "API_SERVER_MODEL_NAME"], parse: text },
  { path: ["storage"], env: ["HERMES_STORAGE"], parse: text },
  { path: ["upstream", "baseURL"], env: ["HERMES_UPSTREAM_URL"], fallbackEnv: ["OPENAI_BASE_URL"], parse: text },
  { path: ["upstream", "apiKey"], env: ["HERMES_UPSTREAM_KEY"], fallbackEnv: ["OPENAI_API_KEY"], parse: text },
  { path: ["upstream", "model"], env: ["HERMES_UPSTREAM_MODEL"], parse: text },
  { path: ["upstream", "defaultModel"], env: ["HERMES_UPSTREAM_DEFAULT_MODEL"], parse: text },
  { path: ["upstream", "api"], env: ["HERMES_UPSTREAM_API"], parse: text },
  { path: ["agent", "systemPrompt"], env: ["HERMES_SYSTEM_PROMPT"], parse: text },
  { path: ["metrics", "enabled"], env: ["HERMES_METRICS"], parse: flag },
  { path: ["metrics", "port"], env: ["HERMES_METRICS_PORT"], parse: integer },
  { path: ["logs", "level"], env: ["HERMES_LOG_LEVEL"], parse: text },
  { path: ["logs", "requests"], env: ["HERMES_LOG_REQUESTS"], parse: flag },
  { path: ["logs", "format"], env: ["HERMES_LOG_FORMAT"], parse: text },
  { path: ["logs", "contents"], env: ["HERMES_LOG_CONTENTS"], parse: flag },
  { path: ["jobs", "enabled"], env: ["HERMES_JOBS"], parse: flag },
  { path: ["mcp", "serve"], env: ["HERMES_MCP_SERVE"], parse: flag },
];

/**
 * Applies the environment and the command-line flags over the config file's object. Precedence:
 * flag > environment > file > default (defaults come later, from the schema), except that OPENAI_*
 * only fill what the file leaves unset. An upstream key without a base URL implies OpenAI's. Pure: the
 * file's object is not modified, and an empty variable counts as unset.
 *
 * @example
 * overlayConfig({ server: { port: 1 } }, { HERMES_PORT: "2" }, { port: "3" }).input; // { server: { port: 3 } }
 */
export function overlayConfig(fileConfig: Readonly<Record<string, unknown>>, env: ConfigEnv, flags: ConfigFlags): OverlaidConfig {
  let input: Record<string, unknown> = { ...fileConfig };
  const origins = new Map<string, string>();

  for (const override of overrides) {
    const found = pick(override, env, flags, fileConfig);
    if (found === undefined) continue;
    const next = setPath(input, override.path, override.parse(found.raw));
    if (next === undefined) continue;
    input = next;
    origins.set(override.path.join("."), found.origin);
  }
  return impliedDefaultModel(impliedBaseURL(input, origins));
}

/** Where an upstream API key without a base URL goes, as with the `openai` SDK. */
export const defaultUpstreamBaseURL = "https://api.openai.com/v1";

/**
 * An upstream key with no base URL means OpenAI: `OPENAI_API_KEY=… npx hermes-proxy` should reach a
 * real model, not the echo upstream that an unset base URL otherwise selects.
 */
function impliedBaseURL(input: Record<string, unknown>, origins: ConfigOrigins): OverlaidConfig {
  const apiKey = getPath(input, ["upstream", "apiKey"]);
  if (typeof apiKey !== "string" || apiKey.trim() === "" || getPath(input, ["upstream", "baseURL"]) !== undefined) {
    return { input, origins };
  }
  return { input: setPath(input, ["upstream", "baseURL"], defaultUpstreamBaseURL) ?? input, origins };
}

/** The model the advertised name means on an upstream configured the OpenAI SDK's way (`OPENAI_API_KEY`). */
export const openAIDefaultModel = "gpt-4o-mini";

/**
 * A newcomer who sets only `OPENAI_API_KEY` (and perhaps `OPENAI_BASE_URL`) and sends the README's
 * `model: "hermes-agent"` gets an answer, as from the original server, whose advertised name is its
 * agent's model: the advertised name goes to `openAIDefaultModel`, any other name as sent. An upstream
 * the file or the `HERMES_*` variables configure names its own models (`upstream.model` or
 * `upstream.defaultModel`), as an Ollama or vLLM host must.
 */
function impliedDefaultModel({ input, origins }: OverlaidConfig): OverlaidConfig {
  if (origins.get("upstream.apiKey") !== "OPENAI_API_KEY") return { input, origins };
  if (getPath(input, ["upstream", "model"]) !== undefined || getPath(input, ["upstream", "defaultModel"]) !== undefined) return { input, origins };
  const next = setPath(input, ["upstream", "defaultModel"], openAIDefaultModel);
  if (next === undefined) return { input, origins };
  return { input: next, origins: new Map([...origins, ["upstream.defaultModel", "OPENAI_API_KEY"]]) };
}

function pick(
  override: Override,
  env: ConfigEnv,
  flags: ConfigFlags,
  fileConfig: Readonly<Record<string, unknown>>,
): { raw: string; origin: string } | undefined {
  if (override.flag !== undefined) {
    const flag = flags[override.flag];
    if (flag !== undefined) return { raw: String(flag).trim(), origin: `--${override.flag}` };
  }
  const fromEnv = firstSet(env, override.env);
  if (fromEnv !== undefined) return fromEnv;
  if (getPath(fileConfig, override.path) !== undefined) return undefined;
  return firstSet(env, override.fallbackEnv ?? []);
}

function firstSet(env: ConfigEnv, names: readonly string[]): { raw: string; origin: string } | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value !== undefined && value !== "") return { raw: value, origin: name };
  }
  return undefined;
}

function getPath(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const key of path) {
    if (!isPlainObject(node)) return undefined;
    node = node[key];
  }
  return node;
}

/**
 * A copy of `root` with `value` at `path`, copying only the objects along the way. Undefined when a
 * container on the path is not an object: validation then reports that container, which is the real
 * mistake, instead of the override silently replacing it.
 */
function setPath(root: Record<string, unknown>, path: readonly string[], value: unknown): Record<string, unknown> | undefined {
  const [key, ...rest] = path;
  if (key === undefined) return undefined;
  if (rest.length === 0) return { ...root, [key]: value };
  const child = root[key];
  if (child !== undefined && !isPlainObject(child)) return undefined;
  const next = setPath({ ...child }, rest, value);
  return next === undefined ? undefined : { ...root, [key]: next };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
