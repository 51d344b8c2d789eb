/**
 * The proxy's one logger: every diagnostic line (a failed save, a hook that threw, a Redis
 * reconnect) goes through here with the `[hermes-proxy]` prefix written once. Not the request log
 * (`logs.requests`, src/observability/logs), which is data on stdout rather than diagnostics.
 *
 * A leaf: it imports nothing and uses only `console`, so every layer may use it, the runtime-neutral
 * ones (agent, wire) included.
 */

/** Lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Logger {
  debug(message: string, ...details: unknown[]): void;
  info(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  /** `details` are printed as the console prints them: an `Error` with its stack. */
  error(message: string, ...details: unknown[]): void;
}

/** One line as written: the prefixed text, and the values printed after it. */
export interface LogRecord {
  level: LogLevel;
  line: string;
  details: readonly unknown[];
}

export type LogSink = (record: LogRecord) => void;

const prefix = "[hermes-proxy]";
const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/**
 * Everything on stderr, since stdout carries the request log (JSON lines a shipper parses). Looked up
 * at each call, so a `vi.spyOn(console, "error")` in a test sees the lines.
 */
const consoleSink: LogSink = ({ level, line, details }) => {
  if (level === "warn") console.warn(line, ...details);
  else console.error(line, ...details);
};

let sink: LogSink = consoleSink;
let threshold: LogLevel = "info";

/**
 * A logger whose lines carry `[hermes-proxy]`, then `[scope]` when given (a plugin's name).
 *
 * @example
 * const log = createLogger("tool-clock");
 * log.warn("clock skew", '{"ms":120}'); // [hermes-proxy] [tool-clock] clock skew {"ms":120}
 */
export function createLogger(scope?: string): Logger {
  const head = scope === undefined ? prefix : `${prefix} [${scope}]`;
  const at =
    (level: LogLevel) =>
    (message: string, ...details: unknown[]): void => {
      if (rank[level] < rank[threshold]) return;
      sink({ level, line: `${head} ${message}`, details });
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/**
 * The proxy's own lines.
 *
 * @example
 * logger.error("storing a response failed:", error); // [hermes-proxy] storing a response failed: Error: …
 */
export const logger: Logger = createLogger();

/** Lines below `level` are dropped; one setting for the process, as there is one console. @default "info" */
export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

export interface CapturedLogs {
  /** Every line written since `captureLogs()`, nothing printed. */
  readonly records: LogRecord[];
  /** Each record as one string, details through `String` (an `Error` as `Error: message`), for matching. */
  lines(): string[];
  /** Writes to the console again (or to the capture this one replaced). */
  restore(): void;
}

/**
 * For tests: keeps the lines instead of printing them, until `restore()`.
 *
 * @example
 * const logs = captureLogs();
 * try { await somethingThatLogs(); expect(logs.lines()).toContain("[hermes-proxy] run failed: boom"); }
 * finally { logs.restore(); }
 */
export function captureLogs(): CapturedLogs {
  const previous = sink;
  const records: LogRecord[] = [];
  sink = (record) => void records.push(record);
  return {
    records,
    lines: () => records.map(({ line, details }) => [line, ...details.map(String)].join(" ")),
    restore: () => {
      sink = previous;
    },
  };
}
