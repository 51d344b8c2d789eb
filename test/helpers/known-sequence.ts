import type { TwoProviders } from "./two-providers.ts";

/** Words that appear only in messages: a log line, a label or a span attribute holding one leaks content. */
export const contentMarkers = ["USER-MARKER-7f3a", "ANSWER-MARKER-91bc", "TOOL-ANSWER-MARKER-c0de"];

/**
 * The sequence the metrics, traces and logs tests describe, on the two-providers rig with the clock
 * tool loaded. Token counts are fixed, so the totals are known: `smart` 50 in / 18 out, `fast` 7 / 3.
 *
 * 1. `smart`, non-stream: alpha answers (10 / 5).
 * 2. `fast`, streamed: beta answers (7 / 3).
 * 3. `smart`: alpha fails with a 503 before its first byte, beta's `beta-large` answers (8 / 4).
 * 4. `nope`: 404 `model_not_found`; no upstream is called.
 * 5. `smart`: alpha calls `get_current_time` (12 / 6), then answers (20 / 3).
 */
export async function runKnownSequence(rig: TwoProviders): Promise<void> {
  const { client } = rig.proxy;
  const [user, answer, toolAnswer] = contentMarkers;
  const ask = (model: string) => ({ model, messages: [{ role: "user" as const, content: `${user} what time is it?` }] });

  rig.alpha.enqueue({ text: `${answer} from alpha`, usage: { inputTokens: 10, outputTokens: 5 } });
  await client.chat.completions.create(ask("smart"));

  rig.beta.enqueue({ text: `${answer} from beta`, usage: { inputTokens: 7, outputTokens: 3 } });
  const stream = await client.chat.completions.create({ ...ask("fast"), stream: true });
  for await (const _chunk of stream);

  rig.alpha.enqueue({ status: 503 });
  rig.beta.enqueue({ text: `${answer} rescued by beta`, usage: { inputTokens: 8, outputTokens: 4 } });
  await client.chat.completions.create(ask("smart"));

  await client.chat.completions.create(ask("nope")).catch(() => undefined);

  rig.alpha.enqueue(
    { toolCalls: [{ name: "get_current_time", arguments: { timezone: "UTC" } }], usage: { inputTokens: 12, outputTokens: 6 } },
    { text: `${toolAnswer} it is noon`, usage: { inputTokens: 20, outputTokens: 3 } },
  );
  await client.chat.completions.create(ask("smart"));
}
