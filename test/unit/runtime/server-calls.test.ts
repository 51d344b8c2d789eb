import { describe, expect, it } from "vitest";
import type { Item } from "../../../src/protocol/index.ts";
import { restoreServerCalls } from "../../../src/runtime/turns/server-calls.ts";

const user = (text: string): Item => ({ type: "message", role: "user", content: [{ type: "input_text", text }] });
const call = (id: string): Item => ({ type: "function_call", call_id: id, name: id, arguments: "{}" });
const output = (id: string, text: string): Item => ({ type: "function_call_output", call_id: id, output: text });

describe("restoreServerCalls", () => {
  const stored = [user("go"), call("client_1"), call("server_1"), output("server_1", "done")];

  it("puts a step's server calls and outputs back after the client's call the request answers", () => {
    const history = [user("go"), call("client_1"), output("client_1", "rain")];
    expect(restoreServerCalls(history, stored)).toEqual([
      user("go"),
      call("client_1"),
      call("server_1"),
      output("server_1", "done"),
      output("client_1", "rain"),
    ]);
  });

  it("changes nothing when the request holds every call, or none of the stored steps", () => {
    const whole = [user("go"), call("client_1"), call("server_1"), output("server_1", "done"), output("client_1", "rain")];
    expect(restoreServerCalls(whole, stored)).toBe(whole);
    const other = [user("go"), call("client_9"), output("client_9", "x")];
    expect(restoreServerCalls(other, stored)).toBe(other);
  });
});
