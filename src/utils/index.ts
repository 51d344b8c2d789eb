export * from "./ids.ts";
export * from "./keyed-queue.ts";
export * from "./async-queue.ts";
export * from "./missing-package.ts";
export * from "./recency-map.ts";
export * from "./record-cache.ts";
