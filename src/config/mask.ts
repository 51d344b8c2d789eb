/** Field names whose string values are secrets. */
const secretKey = /(?:api[-_]?key|secret|token|password|passwd|authorization|cookie)$/i;
/** Query parameters that commonly carry credentials in URLs. */
const secretParameter = /^(?:api[-_]?key|key|token|access[-_]?token|secret|password|sig|signature)$/i;

/**
 * Whether a value that may hold key material reads as a file path: short, no whitespace and no long
 * run of base64 letters (a DER key in base64 has one; `./certs/server-key.pem` does not).
 */
export function looksLikePath(value: string): boolean {
  return value.length <= 1024 && !/\s/.test(value) && !/[A-Za-z0-9+=]{40}/.test(value);
}

export function isSecretKey(key: string): boolean {
  return secretKey.test(key);
}

/**
 * A key shortened so that a person can tell which one is configured without the output revealing it:
 * a short, non-secret prefix such as `sk-` and the last four characters; a key under 16 characters
 * shows nothing, since even four characters would be a large part of it.
 *
 * @example
 * maskSecret("sk-proj-4f9a0c1d2e3b4a5c6d7eabcd"); // "sk-…abcd"
 */
export function maskSecret(secret: string): string {
  const value = secret.trim();
  if (value === "") return "(empty)";
  if (value.length < 16) return "***";
  const prefix = /^[A-Za-z]{1,4}[-_]/.exec(value)?.[0] ?? "";
  return `${prefix}…${value.slice(-4)}`;
}

/**
 * A URL with its user, password and credential-bearing query parameters replaced, for printing.
 * Strings that are not URLs come back unchanged.
 *
 * @example
 * maskUrl("redis://default:hunter2@cache:6379/0"); // "redis://***:***@cache:6379/0"
 */
export function maskUrl(value: string): string {
  if (!/^[a-z][a-z\d+.-]*:\/\//i.test(value)) return value;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // Unparseable but URL-shaped: anything between "//" and "@" may be credentials.
    return value.replace(/\/\/[^/@]*@/, "//***@");
  }
  let changed = false;
  if (url.username !== "") {
    url.username = "***";
    changed = true;
  }
  if (url.password !== "") {
    url.password = "***";
    changed = true;
  }
  for (const name of [...url.searchParams.keys()]) {
    if (secretParameter.test(name)) {
      url.searchParams.set(name, "***");
      changed = true;
    }
  }
  // Re-serialising changes a URL's spelling (a trailing slash, escapes): keep the original when clean.
  return changed ? url.toString().replaceAll("%2A%2A%2A", "***") : value;
}

/**
 * A deep copy of a configuration that is safe to print: values of secret fields (`apiKey`, `token`, …)
 * through `maskSecret`, credentials in URLs through `maskUrl`, PEM text as its label
 * (`[PEM private key]`), functions as `[function]`.
 *
 * @example
 * maskConfig({ server: { apiKey: "sk-abcdefghijklmnop" } }); // { server: { apiKey: "sk-…mnop" } }
 */
export function maskConfig<T>(config: T): T {
  return maskValue(config, undefined) as T;
}

/** The first PEM block's label: `-----BEGIN EC PRIVATE KEY-----` → `EC PRIVATE KEY`. */
const pemLabel = /-----BEGIN ([A-Z0-9 ]{1,40})-----/;

function maskValue(value: unknown, key: string | undefined): unknown {
  if (typeof value === "string") {
    // PEM given inline (`server.tls`) under any field name: a private key is a secret, and a
    // certificate is many lines that tell a reader nothing; either shows as its label.
    const pem = pemLabel.exec(value)?.[1];
    if (pem !== undefined) return `[PEM ${pem.toLowerCase()}]`;
    // `server.tls.key` is a file path, whose name helps a reader, unless it is key material without PEM armour.
    if (key === "key" && !looksLikePath(value)) return "***";
    return key !== undefined && isSecretKey(key) ? maskSecret(value) : maskUrl(value);
  }
  if (typeof value === "function") return "[function]";
  if (Array.isArray(value)) return value.map((item) => maskValue(item, key));
  const summary = describePlugin(value);
  if (summary !== undefined) return summary;
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, maskValue(item, name)]));
  }
  return value;
}

/**
 * A plugin as `check` shows it: its name and what it contributes. Its objects (zod schemas, drivers
 * holding clients and credentials) are neither printable nor safe to print.
 */
function describePlugin(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== "object" || value === null || !("kind" in value) || !("name" in value)) return undefined;
  const entry = value as {
    kind: unknown;
    name: unknown;
    tools?: readonly { name: string }[];
    storage?: { name: string };
    hooks?: object;
    listTools?: unknown;
    settings?: Record<string, unknown>;
  };
  if (entry.kind === "tool" || entry.kind === "storage") return { kind: entry.kind, name: entry.name };
  if (entry.kind !== "plugin") return undefined;
  return {
    name: entry.name,
    tools: (entry.tools ?? []).map((tool) => tool.name),
    ...(entry.storage !== undefined && { storage: entry.storage.name }),
    ...(entry.hooks !== undefined && { hooks: Object.keys(entry.hooks) }),
    ...(entry.listTools !== undefined && { listsTools: true }),
    // A plugin's own summary of its options, masked like the config around it.
    ...(entry.settings !== undefined && { settings: maskValue(entry.settings, undefined) }),
  };
}
