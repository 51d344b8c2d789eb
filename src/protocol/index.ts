export * from "./events.ts";
export * from "./items.ts";
export * from "./run-input.ts";
export * from "./usage.ts";
export * from "./errors.ts";
export * from "./run-result.ts";
