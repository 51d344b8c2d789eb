import type { Item } from "../../protocol/index.ts";

type FunctionCall = Extract<Item, { type: "function_call" }>;

/**
 * A Chat Completions client answers the tool calls it was handed back and resends only those: the
 * server tool calls that ran beside them in the same model step, and their outputs, are not in its
 * messages. Without them the model would see its step cut in half and lose the server's work. This
 * puts them back, from the session's stored history, right after the client's calls of that step.
 * Nothing changes when the request holds every call of its steps.
 */
export function restoreServerCalls(history: Item[], stored: readonly Item[]): Item[] {
  const sent = new Set<string>();
  for (const item of history) if (item.type === "function_call") sent.add(item.call_id);
  if (sent.size === 0) return history;

  /** Per step's last sent call id: the server calls and outputs that go after it. */
  const restore = new Map<string, Item[]>();
  for (let start = 0; start < stored.length;) {
    if (stored[start]?.type !== "function_call") {
      start++;
      continue;
    }
    let end = start;
    while (stored[end]?.type === "function_call") end++;
    const step = stored.slice(start, end) as FunctionCall[];
    const lastSent = step.findLast((call) => sent.has(call.call_id));
    const missing = step.filter((call) => !sent.has(call.call_id));
    if (lastSent && missing.length > 0) {
      const ids = new Set(missing.map((call) => call.call_id));
      const outputs = stored.filter((item) => item.type === "function_call_output" && ids.has(item.call_id));
      restore.set(lastSent.call_id, [...missing, ...outputs]);
    }
    start = end;
  }
  if (restore.size === 0) return history;
  return history.flatMap((item) => (item.type === "function_call" && restore.has(item.call_id) ? [item, ...restore.get(item.call_id)!] : [item]));
}
