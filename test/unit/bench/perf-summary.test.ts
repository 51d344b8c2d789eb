import { describe, expect, it } from "vitest";
import { kindOf, samplesOf, summarizePerf } from "../../../bench/perf-summary.ts";

/** Four samples as `perf script` prints them (leaf first), shortened from a real `chat-json-50` recording. */
const script = `node 18344 42749.052391:     200040 cpu-clock: 
\t          e3e4b6 v8::internal::JsonStringify+0xc6 (/usr/bin/node)
\t          b7ac32 v8::internal::Builtin_JsonStringify+0x72 (/usr/bin/node)
\t         155e376 Builtins_CEntry_Return1_ArgvOnStack_BuiltinExit+0x36 (/usr/bin/node)
\t        24dd0ac8 JS:*request file:///work/main/bench-results/build/src/upstream/http.js:39:27+0x3c8 (/tmp/perf-18344.map)
\t        24db5d47 JS:*#start file:///work/main/bench-results/build/src/upstream/sse.js:84:17+0x1587 (/tmp/perf-18344.map)

node 18344 42749.052591:     200040 cpu-clock: 
\tffffffff8a2b3c4d _raw_spin_unlock_irqrestore+0x1d ([kernel.kallsyms])
\tffffffff8a2b0000 sock_def_readable+0x40 ([kernel.kallsyms])
\t        24d94073 JS:*processTicksAndRejections node:internal/process/task_queues:67:35+0x673 (/tmp/perf-18344.map)

node 18345 42749.052791:     200040 cpu-clock: 
\t         1234567 v8::internal::Scavenger::ScavengeObject<v8::internal::FullHeapObjectSlot>+0x20 (/usr/bin/node)
\t         1234600 v8::internal::ScavengerCollector::JobTask::Run+0x10 (/usr/bin/node)

node 18344 42749.052991:     200040 cpu-clock: 
\t         15c0df1 Builtins_LoadIC+0x31 (/usr/bin/node)
\t        7fa18aa6 JS:*_resume /work/main/node_modules/undici/lib/dispatcher/client.js:589:18+0x3c8 (/tmp/perf-18344.map)
\t        24d94073 JS:*processTicksAndRejections node:internal/process/task_queues:67:35+0x673 (/tmp/perf-18344.map)
`;

describe("perf summary", () => {
  it("charges each sample to the kernel, the GC, our innermost function or the innermost JavaScript", () => {
    const samples = samplesOf(script);
    expect(samples.map((frames) => kindOf(frames))).toEqual([
      { area: "src/upstream", where: "request src/upstream/http.js:39" },
      { area: "(kernel)", where: "(kernel)" },
      { area: "(GC)", where: "(GC)" },
      { area: "undici", where: "_resume undici" },
    ]);
  });

  it("counts the JIT compiler's threads apart, before the GC", () => {
    expect(
      kindOf(["\t 10 v8::internal::compiler::GraphReducer::ReduceTop+0x1 (/usr/bin/node)", "\t 20 v8::internal::Scavenger::Process+0x1 (/usr/bin/node)"]).area,
    ).toBe("(JIT compiler)");
  });

  it("reports µs per unit from the sample count and rate", () => {
    // 4 samples at 1000 Hz over 2 units: 2 ms per unit in all, 0.5 ms per unit each.
    const report = summarizePerf(script, 2, { hz: 1000 });
    expect(report).toContain("4 samples at 1000 Hz: 2000.0 µs of CPU per unit (2 units)");
    expect(report).toMatch(/^\s+500\.0 {2}\(kernel\)$/m);
    expect(report).toMatch(/^\s+500\.0 {2}request src\/upstream\/http\.js:39$/m);
  });
});

describe("perf summary, inclusive", () => {
  it("counts each of our functions on a sample's stack once, with what it called", () => {
    const report = summarizePerf(script, 2, { hz: 1000 });
    const inclusive = report.slice(report.indexOf("with everything they called"));
    // The first sample's stack holds `request` and `#start`; no other sample has a frame of ours.
    expect(inclusive).toMatch(/^\s+500\.0 {2}request src\/upstream\/http\.js:39$/m);
    expect(inclusive).toMatch(/^\s+500\.0 {2}#start src\/upstream\/sse\.js:84$/m);
    expect(inclusive.split("\n").filter((line) => /^\s+\d/.test(line))).toHaveLength(2);
  });
});
