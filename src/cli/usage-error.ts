/** A mistake on the command line: printed with a pointer to --help, exit code 1. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
