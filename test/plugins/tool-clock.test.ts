import { describe, expect, it } from "vitest";
import clock, { describeTime } from "../../plugins/tool-clock/index.ts";
import { callTool, testTool } from "../../sdk/testing.ts";

const fixed = new Date("2026-03-29T00:30:00Z");
const plugin = clock({ now: () => fixed });
const tool = plugin.tools[0]!;

testTool(tool, {
  valid: [{ timezone: "Europe/Paris" }, { timezone: "Asia/Kolkata" }, {}],
  invalid: [{ timezone: 42 }, "not json"],
  check: ({ output }) => expect(JSON.parse(output)).toHaveProperty("iso"),
});

describe("tool-clock", () => {
  it("tells the time in a named zone, with its offset", async () => {
    const { output } = await callTool(tool, { timezone: "Asia/Kolkata" });
    expect(JSON.parse(output)).toEqual({
      timezone: "Asia/Kolkata",
      date: "2026-03-29",
      time: "06:00:00",
      weekday: "Sunday",
      utc_offset: "+05:30",
      iso: "2026-03-29T06:00:00+05:30",
      unix: 1774744200,
    });
  });

  it("follows daylight saving time", () => {
    expect(describeTime(new Date("2026-01-15T12:00:00Z"), "Europe/Paris").utc_offset).toBe("+01:00");
    expect(describeTime(new Date("2026-07-15T12:00:00Z"), "Europe/Paris").utc_offset).toBe("+02:00");
    expect(describeTime(fixed, "UTC")).toMatchObject({ utc_offset: "+00:00", iso: "2026-03-29T00:30:00+00:00" });
  });

  it("uses the default zone when the model names none", async () => {
    const paris = clock({ defaultTimeZone: "Europe/Paris", now: () => fixed }).tools[0]!;
    expect(JSON.parse((await callTool(paris, {})).output).timezone).toBe("Europe/Paris");
    expect(paris.label?.({})).toBe("Time in Europe/Paris");
  });

  it("tells the model about an unknown zone, and refuses a bad default at load", async () => {
    expect(await callTool(tool, { timezone: "Mars/Olympus" })).toEqual({
      isError: true,
      output: 'Error from get_current_time: Unknown time zone "Mars/Olympus"; use an IANA name such as Europe/Paris or America/New_York',
    });
    expect(() => clock({ defaultTimeZone: "Nowhere" })).toThrow(/Unknown time zone "Nowhere"/);
  });

  it("accepts the names Intl accepts beyond the canonical list (aliases, other case)", async () => {
    for (const zone of ["US/Pacific", "europe/paris"]) {
      expect(Intl.supportedValuesOf("timeZone")).not.toContain(zone);
      const zoned = clock({ defaultTimeZone: zone, now: () => fixed }).tools[0]!;
      expect(JSON.parse((await callTool(zoned, {})).output)).toMatchObject({ timezone: zone, unix: Math.floor(fixed.getTime() / 1000) });
    }
  });
});
