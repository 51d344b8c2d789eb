export * from "./ids.ts";
export * from "./keyed-queue.ts";
