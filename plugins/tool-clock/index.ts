import { definePlugin, defineTool, type HermesPlugin, z } from "../../sdk/index.ts";

export interface ClockOptions {
  /** The zone used when the model names none. @default "UTC" */
  defaultTimeZone?: string;
  /** The clock to read; tests pass a fixed one. @default () => new Date() */
  now?: () => Date;
}

/**
 * `tool-clock`: the current date and time in a named IANA time zone, so that a model (which has no
 * clock) can answer "what time is it in Tokyo?".
 *
 * @example
 * import clock from "hermes-proxy/plugins/tool-clock";
 * export default defineConfig({ plugins: [clock({ defaultTimeZone: "Europe/Paris" })] });
 */
export default function clock(options: ClockOptions = {}): HermesPlugin {
  const defaultTimeZone = options.defaultTimeZone ?? "UTC";
  const now = options.now ?? (() => new Date());
  // A bad default is a config mistake: fail when the config loads, not on the first call.
  checkTimeZone(defaultTimeZone);

  const getCurrentTime = defineTool({
    name: "get_current_time",
    description: "The current date and time in an IANA time zone such as Europe/Paris, America/New_York or Asia/Tokyo.",
    parameters: z.object({
      timezone: z.string().max(64).optional().describe(`IANA time zone name; ${defaultTimeZone} when left out`),
    }),
    emoji: "🕐",
    label: ({ timezone }) => `Time in ${timezone ?? defaultTimeZone}`,
    execute: ({ timezone }) => describeTime(now(), timezone ?? defaultTimeZone),
  });

  return definePlugin({ name: "tool-clock", tools: [getCurrentTime] });
}

/** The instant in `timeZone`: local date, time, weekday and UTC offset, plus the ISO and Unix forms. */
export function describeTime(instant: Date, timeZone: string) {
  checkTimeZone(timeZone);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
      weekday: "long",
      timeZoneName: "longOffset",
    })
      .formatToParts(instant)
      .map((part) => [part.type, part.value]),
  );
  // "GMT+05:30" → "+05:30"; plain "GMT" is UTC itself.
  const offset = parts.timeZoneName === "GMT" ? "+00:00" : String(parts.timeZoneName).replace("GMT", "");
  const date = `${parts.year}-${parts.month}-${parts.day}`;
  const time = `${parts.hour}:${parts.minute}:${parts.second}`;
  return {
    timezone: timeZone,
    date,
    time,
    weekday: parts.weekday,
    utc_offset: offset,
    iso: `${date}T${time}${offset}`,
    unix: Math.floor(instant.getTime() / 1000),
  };
}

function checkTimeZone(timeZone: string): void {
  // UTC and the canonical IANA names need no formatter: building the first one loads ~8 MiB of ICU
  // data, which a proxy whose model never asks the time need not hold from the moment the config loads.
  // Any other name (an alias such as Asia/Calcutta, another case) is checked by the formatter as before.
  if (timeZone === "UTC" || Intl.supportedValuesOf("timeZone").includes(timeZone)) return;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
  } catch {
    throw new Error(`Unknown time zone "${timeZone}"; use an IANA name such as Europe/Paris or America/New_York`);
  }
}
