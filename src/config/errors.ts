/** What went wrong, as a stable tag tests and callers can branch on without parsing the message. */
export type ConfigErrorCode = "config_not_found" | "config_load_failed" | "config_bad_export" | "config_invalid" | "startup_refused";

/**
 * A configuration the proxy cannot start with. The message is written for a person at a terminal: it
 * can span several lines, names the field and where its value came from, and never contains a secret.
 */
export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  /** One line per problem, without the heading; empty when the message is a single sentence. */
  readonly problems: readonly string[];

  constructor(message: string, options: { code: ConfigErrorCode; problems?: readonly string[]; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = "ConfigError";
    this.code = options.code;
    this.problems = options.problems ?? [];
  }

  /** By name rather than `instanceof`: the CLI and a config loaded through jiti may hold two copies. */
  static is(value: unknown): value is ConfigError {
    return value instanceof Error && value.name === "ConfigError" && "code" in value && "problems" in value;
  }
}
