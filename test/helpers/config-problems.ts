import { ConfigError } from "../../src/config/errors.ts";
import { validateConfig } from "../../src/config/validate.ts";

/** The problems `validateConfig` reports for `input`; fails the test when the config is valid. */
export function problemsOf(input: unknown, origins?: ReadonlyMap<string, string>): readonly string[] {
  try {
    validateConfig(input, { origins });
  } catch (error) {
    if (ConfigError.is(error)) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}
