// Run it: `npx hermes-proxy` in this directory (or `npm start -- --config examples/weather/hermes.config.ts`
// from the repository). The SDK and the first-party plugins are imported by the package's name.
import clock from "hermes-proxy/plugins/tool-clock";
import { defineConfig } from "hermes-proxy/sdk";
import weather from "./plugin.ts";

export default defineConfig({
  model: { name: "weather-agent" },
  plugins: [weather({ unit: "C" }), clock({ defaultTimeZone: "UTC" })],
});
