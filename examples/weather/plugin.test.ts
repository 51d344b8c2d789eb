// The plugin's own tests, with the suites every tool passes: `npx vitest run examples/weather`.
import { expect, it } from "vitest";
import { callTool, testTool } from "hermes-proxy/sdk/testing";
import weather from "./plugin.ts";

const [getWeather] = weather({ unit: "F" }).tools;

testTool(getWeather!, {
  valid: [{ city: "Lyon" }, { city: "oslo" }],
  invalid: [{}, { city: "" }, { city: 42 }],
  check: ({ output }) => expect(JSON.parse(output)).toMatchObject({ unit: "F" }),
});

it("answers in the unit asked for, and tells the model about a city it does not know", async () => {
  expect(JSON.parse((await callTool(getWeather!, { city: "Cairo" })).output)).toMatchObject({ city: "Cairo", temperature: 88, unit: "F" });
  const unknown = await callTool(getWeather!, { city: "Atlantis" });
  expect(unknown).toMatchObject({ isError: true, output: "Error from get_weather: No weather for Atlantis" });
});
