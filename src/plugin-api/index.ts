export * from "./plugin.ts";
export * from "./observe.ts";
export * from "./coordination.ts";
export * from "./tool-call.ts";
