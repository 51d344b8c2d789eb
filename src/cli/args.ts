import { parseArgs } from "node:util";
import { nearest } from "../config/nearest.ts";
import type { ConfigFlags } from "../config/overlay.ts";
import { UsageError } from "./usage-error.ts";

export type Command = "serve" | "check" | "help" | "version";

export interface ParsedArguments {
  command: Command;
  flags: ConfigFlags;
}

const commands = ["serve", "check"] as const;

const options = {
  port: { type: "string", short: "p" },
  host: { type: "string" },
  config: { type: "string", short: "c" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;

/**
 * `hermes-proxy [serve|check] [--port N] [--host H] [--config FILE] [--help] [--version]`.
 *
 * @throws {UsageError} for an unknown option or command, or an option without its value.
 * @example
 * parseArguments(["--port", "0"]); // { command: "serve", flags: { port: "0" } }
 */
export function parseArguments(argv: readonly string[]): ParsedArguments {
  const { values, positionals } = parse(argv);
  if (values.help === true) return { command: "help", flags: {} };
  if (values.version === true) return { command: "version", flags: {} };

  const [name = "serve", ...extra] = positionals;
  if (!isCommand(name)) {
    const guess = nearest(name, commands);
    throw new UsageError(`unknown command "${name}"${guess === undefined ? "" : `; did you mean "${guess}"?`} (commands: serve, check)`);
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);

  const flags: ConfigFlags = {};
  if (values.port !== undefined) flags.port = values.port;
  if (values.host !== undefined) flags.host = values.host;
  if (values.config !== undefined) flags.config = values.config;
  return { command: name, flags };
}

function parse(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw toUsageError(error);
  }
}

function isCommand(name: string): name is (typeof commands)[number] {
  return (commands as readonly string[]).includes(name);
}

/** node:util's messages explain `--` escaping at length; one short line reads better. */
function toUsageError(error: unknown): UsageError {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const option = /'([^']+)'/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option !== undefined) {
    const guess = option.startsWith("--") ? nearest(option.slice(2), Object.keys(options)) : undefined;
    return new UsageError(`unknown option ${option}${guess === undefined ? "" : `; did you mean --${guess}?`}`);
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option !== undefined) {
    const name = /--[\w-]+/.exec(option)?.[0] ?? option;
    if (/does not take an argument/.test(message)) return new UsageError(`${name} does not take a value`);
    return new UsageError(`${name} needs a value`);
  }
  return new UsageError(message);
}
