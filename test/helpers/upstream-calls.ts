import type { HermesError, HermesEvent, RunInput } from "../../src/protocol/index.ts";
import type { NewId } from "../../src/utils/index.ts";
import type { Upstream, UpstreamCallOptions } from "../../src/upstream/types.ts";

/**
 * The one place tests call an `Upstream`: everything else (the shared upstream suite, the agent's
 * scripted upstream checks) goes through `upstreamEvents`, so a change to the upstream interface
 * (`stream` yields batches: the events of one network read) is a change to this function alone.
 */
export async function* upstreamEvents(upstream: Upstream, input: RunInput, options: UpstreamCallOptions): AsyncGenerator<HermesEvent, void, undefined> {
  for await (const batch of upstream.stream(input, options)) yield* batch;
}

/** Deterministic ids: `msg_1`, `rs_2`, … */
export function sequentialIds(): NewId {
  let n = 0;
  return (prefix) => `${prefix}${++n}`;
}

/** One upstream call's events, to the end. */
export async function collectEvents(
  upstream: Upstream,
  input: RunInput,
  signal: AbortSignal = AbortSignal.timeout(10_000),
  options: Partial<UpstreamCallOptions> = {},
): Promise<HermesEvent[]> {
  const events: HermesEvent[] = [];
  for await (const event of upstreamEvents(upstream, input, { signal, newId: sequentialIds(), ...options })) events.push(event);
  return events;
}

/** Runs a call that must fail; returns what arrived before the failure and the failure. */
export async function collectFailure(
  upstream: Upstream,
  input: RunInput,
  signal: AbortSignal = AbortSignal.timeout(10_000),
  options: Partial<UpstreamCallOptions> = {},
): Promise<{ events: HermesEvent[]; error: HermesError }> {
  const events: HermesEvent[] = [];
  try {
    for await (const event of upstreamEvents(upstream, input, { signal, newId: sequentialIds(), ...options })) events.push(event);
  } catch (error) {
    return { events, error: error as HermesError };
  }
  throw new Error(`expected a failure, got ${JSON.stringify(events)}`);
}
