import { definePlugin, defineTool, type HermesPlugin, z } from "hermes-proxy/sdk";

export interface WeatherOptions {
  /** Degrees in Celsius or Fahrenheit. @default "C" */
  unit?: "C" | "F";
}

/**
 * `acme-weather`: one tool the model may call, a per-plugin storage namespace, and a hook.
 * A real plugin would call a weather service in `execute`; this one answers from a table.
 */
export default function weather(options: WeatherOptions = {}): HermesPlugin {
  const unit = options.unit ?? "C";
  const celsius: Record<string, number> = { lyon: 18, oslo: 4, cairo: 31 };

  const getWeather = defineTool({
    name: "get_weather",
    description: "Current temperature in a city",
    parameters: z.object({ city: z.string().min(1).describe("City name, e.g. Lyon") }),
    emoji: "🌦️",
    label: ({ city }) => `Weather in ${city}`,
    async execute({ city }, { storage }) {
      const degrees = celsius[city.toLowerCase()];
      if (degrees === undefined) throw new Error(`No weather for ${city}`);
      // The plugin's own namespace in the proxy's storage (memory, fs, SQLite or Redis).
      const lookups = ((await storage.getItem<number>("lookups")) ?? 0) + 1;
      await storage.setItem("lookups", lookups);
      return { city, temperature: unit === "F" ? Math.round(degrees * 1.8 + 32) : degrees, unit, lookups };
    },
  });

  return definePlugin({
    name: "acme-weather",
    tools: [getWeather],
    hooks: {
      // Called without being awaited: a hook observes, it never delays an answer.
      onToolCall(call) {
        if (call.name === "get_weather") console.log(`[acme-weather] ${call.name} took ${call.durationMs} ms`);
      },
    },
  });
}
