import { ConfigError } from "./errors.ts";
import { describeIssues } from "./diagnostics.ts";
import type { ConfigOrigins } from "./overlay.ts";
import type { HermesConfig } from "./schema.ts";
import { hermesConfigSchema } from "./schema.ts";

export interface ValidateOptions {
  origins?: ConfigOrigins | undefined;
  /** The config file as the user should see it (`./hermes.config.ts`), for the heading. */
  source?: string | undefined;
}

/**
 * Validates an overlaid config input against the schema and applies its defaults.
 *
 * @throws {ConfigError} code `config_invalid`, one line per problem.
 * @example
 * validateConfig({ server: { prot: 1 } });
 * // ConfigError: invalid configuration:
 * //   - server.prot: unknown field; did you mean "server.port"?
 */
export function validateConfig(input: unknown, options: ValidateOptions = {}): HermesConfig {
  const result = hermesConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = describeIssues(result.error.issues, { schema: hermesConfigSchema, input, origins: options.origins });
  const heading = `invalid configuration${options.source === undefined ? "" : ` (config file ${options.source})`}:`;
  throw new ConfigError([heading, ...problems.map((problem) => `  - ${problem}`)].join("\n"), {
    code: "config_invalid",
    problems,
    cause: result.error,
  });
}
