/**
 * Tests a suite should not run, and why. The reason names a capability the subject lacks ("the
 * driver has no TTL"), never a missing service: an absent Redis is a failure, not a skip.
 *
 * @example
 * testStorage({ create, skip: [{ reason: "the driver is read-only after startup", tests: ["overwrites, tells what it has, and removes"] }] });
 */
export interface SuiteSkip {
  reason: string;
  /** Test names as the suite titles them. */
  tests: readonly string[];
}

/** The skip reason for a test, if one was given. */
export function skipReason(skips: readonly SuiteSkip[] | undefined, test: string): string | undefined {
  return skips?.find((skip) => skip.tests.includes(test))?.reason;
}
