// The `hermes-proxy` command's entry. It sets V8's heap growth before the rest of the command is
// loaded (a static import would load it first), so that start-up does not leave the young generation grown.
import { holdYoungGeneration, limitOldGeneration } from "./cli/heap-growth.ts";

holdYoungGeneration();
limitOldGeneration();
await import("./cli/main.ts");
