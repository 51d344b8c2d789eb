import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  // The package's own names point at the sources, as tsconfig.json `paths` and the config loader do.
  resolve: {
    alias: [
      { find: /^hermes-proxy\/plugins\/([^/]+)$/, replacement: here("./plugins/$1/index.ts") },
      { find: /^hermes-proxy\/sdk\/testing$/, replacement: here("./sdk/testing.ts") },
      { find: /^hermes-proxy\/sdk$/, replacement: here("./sdk/index.ts") },
      { find: /^hermes-proxy$/, replacement: here("./src/index.ts") },
    ],
  },
  test: {
    include: ["test/**/*.test.ts", "examples/**/*.test.ts"],
    globalSetup: ["test/setup/build-dist.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
