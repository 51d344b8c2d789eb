import { cpus, release, totalmem } from "node:os";
import type { MachineInfo } from "./results.ts";

export function machineInfo(loadGenerator: string, pinning: string): MachineInfo {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? "unknown",
    cpus: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    loadGenerator,
    pinning,
  };
}
