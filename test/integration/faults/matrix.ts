import { afterAll, afterEach, beforeAll, describe, expect, it, type MockInstance, vi } from "vitest";
import { type Hygiene, watchHygiene } from "../../helpers/hygiene.ts";
import { observeTerminal } from "./observe.ts";
import { type FaultRig, startFaultRig } from "./rig.ts";
import { expectedTerminal, faultScenarios, type Mode, type UpstreamApi } from "./scenarios.ts";

/** Logged lines that only a bug in the proxy writes: an error that escaped its own mapping. */
const bugLines = /internal error|stream failed|run failed|unhandled/i;

/**
 * Every fault scenario against every mode in `modes`, through one rig: each case must end in exactly
 * the terminal event the table names, after the expected number of upstream attempts and within a
 * bounded time; the file as a whole must leave no unhandled rejection, no bug logged and no handle
 * open. The observed cells are printed as table rows (the source of docs/faults.md).
 */
export function describeFaultMatrix(api: UpstreamApi, modes: readonly Mode[], options: { skip?: readonly string[] } = {}): void {
  describe(`upstream faults: ${modes.join(", ")} over a ${api} upstream`, () => {
    let rig: FaultRig;
    let hygiene: Hygiene;
    let errorLog: MockInstance<typeof console.error>;
    const rows: string[] = [];

    beforeAll(async () => {
      hygiene = watchHygiene();
      errorLog = vi.spyOn(console, "error").mockImplementation(() => {});
      rig = await startFaultRig(api);
    });
    afterEach(() => {
      rig.upstream.reset();
      const bugs = errorLog.mock.calls.map((call) => call.map(String).join(" ")).filter((line) => bugLines.test(line));
      errorLog.mockClear();
      expect(bugs).toEqual([]);
    });
    afterAll(async () => {
      await rig?.close();
      errorLog.mockRestore();
      expect(await hygiene.leakedHandles()).toEqual({});
      expect(hygiene.unhandled).toEqual([]);
      hygiene.stop();
      console.log(`fault matrix over a ${api} upstream:\n${rows.join("\n")}`);
    });

    for (const scenario of faultScenarios) {
      if (options.skip?.includes(scenario.id)) continue;
      for (const mode of modes) {
        it(`${scenario.id}: ${mode} ends in ${expectedTerminal(scenario, mode)}`, { timeout: 10_000 }, async () => {
          rig.upstream.enqueue(...scenario.replies(api));
          const started = Date.now();
          const observed = await observeTerminal(rig, mode);
          const elapsed = Date.now() - started;
          rows.push(`| ${scenario.id} | ${mode} | ${observed} | ${elapsed} ms |`);
          expect(observed).toBe(expectedTerminal(scenario, mode));
          expect(rig.upstream.requests.filter((request) => request.method === "POST")).toHaveLength(scenario.attempts);
          // Bounded: the slowest case is one undici timeout tick (about a second) past the configured timeout.
          expect(elapsed).toBeLessThan(5_000);
        });
      }
    }
  });
}
