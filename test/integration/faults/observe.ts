import { setTimeout as delay } from "node:timers/promises";
import { APIError } from "openai";
import { parseSse } from "../../helpers/sse.ts";
import type { FaultRig } from "./rig.ts";
import { answer, type Mode } from "./scenarios.ts";

/**
 * Sends one request in `mode` through the rig and describes how it ended, in the words of the fault
 * table (see `expectedTerminal`). Everything here is read from what the client got, never assumed:
 * a stream that stops without its terminal frame, or a truncated answer reported as a success, reads
 * differently from every expected cell.
 */
export async function observeTerminal(rig: FaultRig, mode: Mode): Promise<string> {
  switch (mode) {
    case "chat":
      return chatJson(rig);
    case "chat-stream":
      return chatStream(rig);
    case "responses":
      return responsesJson(rig);
    case "responses-stream":
      return responsesStream(rig);
    case "runs":
      return runs(rig);
  }
}

const messages = [{ role: "user" as const, content: "go" }];

function httpLabel(error: unknown): string {
  if (!(error instanceof APIError) || error.status === undefined) throw error;
  const retryAfter = error.headers?.get("retry-after");
  return `HTTP ${error.status} \`${error.code}\`${retryAfter ? `, Retry-After: ${retryAfter}` : ""}`;
}

/** `partial text` for a proper prefix of the answer; anything else is named as it is. */
function textLabel(text: string): string {
  if (text === "") return "no text";
  if (text === answer) return "full text";
  return answer.startsWith(text) ? "partial text" : `unexpected text ${JSON.stringify(text)}`;
}

async function chatJson(rig: FaultRig): Promise<string> {
  try {
    const completion = await rig.client.chat.completions.create({ model: "m", messages });
    const choice = completion.choices[0];
    const complete = choice?.message.content === answer ? "" : ` (${textLabel(choice?.message.content ?? "")})`;
    return `HTTP 200, finish_reason \`${choice?.finish_reason}\`${complete}`;
  } catch (error) {
    return httpLabel(error);
  }
}

async function chatStream(rig: FaultRig): Promise<string> {
  let stream;
  try {
    stream = await rig.client.chat.completions.create({ model: "m", messages, stream: true });
  } catch (error) {
    return httpLabel(error);
  }
  let text = "";
  let finish: string | null | undefined;
  let failure: string | undefined;
  try {
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish ??= chunk.choices[0]?.finish_reason;
    }
  } catch (error) {
    if (!(error instanceof APIError)) throw error;
    failure = `error frame \`${error.code}\``;
  }
  const frames = parseSse(await rig.lastBody());
  const done = frames.at(-1)?.data === "[DONE]" ? "`[DONE]`" : "no `[DONE]` (the stream just stopped)";
  if (failure) return `${textLabel(text)}, ${failure}, ${done}`;
  return `finish_reason \`${finish}\`, ${done}${text === answer ? "" : ` (${textLabel(text)})`}`;
}

async function responsesJson(rig: FaultRig): Promise<string> {
  try {
    const response = await rig.client.responses.create({ model: "m", input: "go" });
    return `HTTP 200, status \`${response.status}\`${response.output_text === answer ? "" : ` (${textLabel(response.output_text)})`}`;
  } catch (error) {
    return httpLabel(error);
  }
}

async function responsesStream(rig: FaultRig): Promise<string> {
  let stream;
  try {
    stream = await rig.client.responses.create({ model: "m", input: "go", stream: true });
  } catch (error) {
    return httpLabel(error);
  }
  let text = "";
  let id = "";
  let last = "";
  let code: string | undefined;
  for await (const event of stream) {
    last = event.type;
    if (event.type === "response.created") id = event.response.id;
    if (event.type === "response.output_text.delta") text += event.delta;
    if (event.type === "response.failed") code = event.response.error?.code;
  }
  const stored = await settledResponseStatus(rig, id);
  if (last === "response.completed") return `\`response.completed\`; GET: \`${stored}\`${text === answer ? "" : ` (${textLabel(text)})`}`;
  if (last === "response.failed") return `${textLabel(text)}, \`response.failed\` \`${code}\`; GET: \`${stored}\``;
  return `stream stopped after \`${last}\`; GET: \`${stored}\``;
}

/** The stored status once the route has written its final snapshot (the write follows the last frame). */
async function settledResponseStatus(rig: FaultRig, id: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const response = await rig.client.responses.retrieve(id);
    if (response.status !== "in_progress" || attempt >= 40) return response.status ?? "none";
    await delay(25);
  }
}

async function runs(rig: FaultRig): Promise<string> {
  const { url } = rig.proxy;
  const started = await fetch(`${url}/v1/runs`, { method: "POST", body: JSON.stringify({ input: "go" }), signal: AbortSignal.timeout(8_000) });
  const { run_id: id } = (await started.json()) as { run_id: string };
  const events = await fetch(`${url}/v1/runs/${id}/events`, { signal: AbortSignal.timeout(8_000) });
  const payloads = parseSse(await events.text()).map((frame) => JSON.parse(frame.data) as { event: string; code?: string; output?: string });
  const status = ((await (await fetch(`${url}/v1/runs/${id}`)).json()) as { status: string }).status;
  const last = payloads.at(-1);
  if (last?.event === "run.completed") return `\`run.completed\`; GET: \`${status}\`${last.output === answer ? "" : ` (${textLabel(last.output ?? "")})`}`;
  if (last?.event === "run.failed") return `\`run.failed\` \`${last.code}\`; GET: \`${status}\``;
  return `events stopped after \`${last?.event}\`; GET: \`${status}\``;
}
