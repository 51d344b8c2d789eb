import { parseArguments } from "./args.ts";
import { runCheck } from "./check.ts";
import { helpText } from "./help.ts";
import { exitAfterFlush, printError, printLines } from "./output.ts";
import { runServe } from "./serve.ts";
import { version } from "../version.ts";

/**
 * The `hermes-proxy` command. Every failure ends here as one message on stderr and exit code 1; a
 * running server keeps the process alive until a signal.
 */
async function main(argv: readonly string[]): Promise<void> {
  const { command, flags } = parseArguments(argv);
  switch (command) {
    case "help":
      printLines([helpText(version)]);
      return exitAfterFlush(0);
    case "version":
      printLines([version]);
      return exitAfterFlush(0);
    case "check":
      await runCheck(flags);
      return exitAfterFlush(0);
    case "serve":
      return runServe(flags);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  printError(error);
  exitAfterFlush(1);
});
