// The `hermes-proxy` command's entry. It holds V8's young generation small before the rest of the
// command is loaded (a static import would load it first), so that start-up does not leave it grown.
import { holdYoungGeneration } from "./cli/young-generation.ts";

holdYoungGeneration();
await import("./cli/main.ts");
