// The conformance suite every storage passes: `npx vitest run examples/storage-lru`.
import { testStorage } from "hermes-proxy/sdk/testing";
import lruStorage from "./storage.ts";

testStorage({ create: () => lruStorage({ max: 1_000 }) });
