import type { Measurement } from "./scenario.ts";
import type { SoakResult } from "./soak.ts";

/** What one repetition produced; the JSON file holds these as they are. */
export interface RunResult {
  index: number;
  /** The order hermes and the pipe proxy were measured in, within every scenario. */
  order: string[];
  /** RSS after start, before any request, in MiB. */
  idleRssMiB: Record<string, number | undefined>;
  /** RSS after the last scenario, in MiB. */
  afterRssMiB: Record<string, number | undefined>;
  scenarios: Record<string, ScenarioResult>;
  /** With `--soak N`: memory over N non-stream requests, by target label. */
  soak?: Record<string, SoakResult>;
}

export interface ScenarioResult {
  title: string;
  /** Why it did not run (the route is not there yet). */
  skipped?: string;
  /** The config file under bench/ hermes (and the variants) ran with in this scenario; none: no config file. */
  hermesConfig?: string;
  /** By target label: `hermes`, `pipe`, `direct`, or a variant's label. */
  targets: Record<string, Measurement | undefined>;
}

export interface MachineInfo {
  cpu: string;
  cpus: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  loadGenerator: string;
  pinning: string;
}
