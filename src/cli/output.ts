import { ConfigError } from "../config/errors.ts";
import { HermesError } from "../protocol/index.ts";
import { ListenError } from "../server/listen-error.ts";
import { UsageError } from "./usage-error.ts";

export function printLines(lines: readonly string[]): void {
  process.stdout.write(`${lines.join("\n")}\n`);
}

export function printWarning(message: string): void {
  process.stderr.write(`hermes-proxy: warning: ${message}\n`);
}

/**
 * An error for the operator: the message of the errors we raise on purpose, with a pointer to --help
 * for command-line mistakes; the stack of anything else, since that is a bug worth reporting.
 */
export function printError(error: unknown): void {
  let text: string;
  if (error instanceof UsageError) text = `${error.message} (see hermes-proxy --help)`;
  else if (ConfigError.is(error) || HermesError.is(error) || error instanceof ListenError) text = error.message;
  else if (error instanceof Error) text = error.stack ?? error.message;
  else text = String(error);
  process.stderr.write(`hermes-proxy: ${text}\n`);
}

/** Exits once stdout and stderr have flushed, so the last lines survive a pipe. */
export function exitAfterFlush(code: number): void {
  let pending = 2;
  const done = (): void => {
    pending -= 1;
    if (pending === 0) process.exit(code);
  };
  process.stdout.write("", done);
  process.stderr.write("", done);
}
