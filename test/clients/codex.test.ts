import { beforeAll, describe, expect, it } from "vitest";
import { useClientProxy } from "../helpers/client-proxy.ts";
import { type CodexRun, ensureCodex, runCodex } from "../helpers/codex.ts";
import type { RecordedRequest } from "../helpers/fake-upstream.ts";

/**
 * The Codex CLI binary (`@openai/codex` from npm, installed on first use into a cache folder) pointed at
 * the proxy as a custom provider with its default features, over a Chat and over a Responses upstream:
 * a text turn, and a tool round trip in which the model asks for a shell command, Codex runs it and
 * sends the output back. Codex runs with `store: false` and resends the whole history each request.
 */

/** What a failing assertion prints about the Codex run. */
const transcript = (run: CodexRun) =>
  `exit ${run.exitCode}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr.slice(-3000)}\n--- refused hosts: ${run.refusedHosts.join(", ")}`;

const agentMessages = (run: CodexRun) => run.events.filter((event) => event.item?.type === "agent_message").map((event) => event.item!.text);

/** The tool names a request offers the model, in either API. */
function toolNames(request: RecordedRequest): string[] {
  const tools = (request.body.tools ?? []) as { type: string; name?: string; function?: { name: string }; tools?: { name: string }[] }[];
  return tools.flatMap((tool) =>
    tool.function ? [tool.function.name] : tool.tools ? tool.tools.map((inner) => `${tool.name}/${inner.name}`) : tool.name ? [tool.name] : [],
  );
}

/** One Codex run takes 1-3 s here; the limit leaves room for a loaded machine. */
const CODEX_TEST_TIMEOUT = 90_000;

beforeAll(async () => {
  // The first run installs Codex (about 420 MB from npm); `.ci/run` does it before the suite.
  await ensureCodex();
}, 15 * 60_000);

describe.each(["chat", "responses"] as const)("Codex CLI over a %s upstream", (api) => {
  const setup = useClientProxy(api);
  const path = api === "chat" ? "/v1/chat/completions" : "/v1/responses";

  it(
    "answers a text turn, with every tool Codex offers reaching the model",
    async () => {
      setup.upstream.enqueue({ text: `Hello from the ${api} upstream.` });

      const run = await runCodex({ baseURL: setup.baseURL, apiKey: setup.apiKey, model: "hermes-agent", prompt: "Say hello." });

      expect(run.exitCode, transcript(run)).toBe(0);
      expect(run.lastMessage.trim(), transcript(run)).toBe(`Hello from the ${api} upstream.`);
      expect(agentMessages(run)).toEqual([`Hello from the ${api} upstream.`]);
      expect(run.events.filter((event) => event.type === "turn.failed" || event.type === "error")).toEqual([]);

      expect(setup.upstream.requests.map((request) => request.path)).toEqual([path]);
      const [request] = setup.upstream.requests;
      const names = toolNames(request!);
      // Codex's own function tools, and those of its `multi_agent_v1` namespace, named so calls map back.
      expect(names).toContain("exec_command");
      expect(names.some((name) => name.includes("spawn_agent"))).toBe(true);
      if (api === "chat") {
        // Chat has function tools only: the hosted `web_search` nobody implements is left out.
        expect(request!.body.tools.every((tool: { type: string }) => tool.type === "function")).toBe(true);
        expect(JSON.stringify(request!.body.messages)).toContain("Say hello.");
      } else {
        // The formats match: the hosted tool and the fields Codex sets go upstream as sent.
        expect(request!.body.tools).toContainEqual({ type: "web_search", external_web_access: false });
        expect(request!.body).toMatchObject({ include: ["reasoning.encrypted_content"], reasoning: { summary: "auto" }, store: false });
        expect(request!.body.prompt_cache_key).toEqual(expect.any(String));
        expect(request!.body.client_metadata).toEqual(expect.any(Object));
      }
      // `store: false`: the proxy keeps no response.
      expect(await setup.storedKeys("responses:")).toEqual([]);
    },
    CODEX_TEST_TIMEOUT,
  );

  it(
    "runs a shell command the model asks for and sends its output back",
    async () => {
      setup.upstream.enqueue(
        { toolCalls: [{ id: "call_codex_exec_1", name: "exec_command", arguments: { cmd: "echo hermes-$((40+2))" } }] },
        { text: "The command printed hermes-42." },
      );

      const run = await runCodex({ baseURL: setup.baseURL, apiKey: setup.apiKey, model: "hermes-agent", prompt: "Run the echo command." });

      expect(run.exitCode, transcript(run)).toBe(0);
      const executed = run.events.find((event) => event.type === "item.completed" && event.item?.type === "command_execution");
      expect(executed?.item, transcript(run)).toMatchObject({
        command: expect.stringContaining("echo hermes-$((40+2))"),
        aggregated_output: "hermes-42\n",
        exit_code: 0,
        status: "completed",
      });
      expect(run.lastMessage.trim()).toBe("The command printed hermes-42.");

      expect(setup.upstream.requests.map((request) => request.path)).toEqual([path, path]);
      const second = setup.upstream.requests[1]!.body;
      if (api === "chat") {
        const messages = second.messages as {
          role: string;
          content?: unknown;
          tool_calls?: { id: string; function: { name: string; arguments: string } }[];
          tool_call_id?: string;
        }[];
        const call = messages.find((message) => message.role === "assistant" && message.tool_calls?.length)?.tool_calls?.[0];
        expect(call?.function).toMatchObject({ name: "exec_command", arguments: expect.stringContaining("hermes-$((40+2))") });
        const output = messages.find((message) => message.role === "tool");
        expect(output?.tool_call_id).toBe(call?.id);
        expect(JSON.stringify(output?.content)).toContain("hermes-42");
      } else {
        const items = second.input as { type: string; call_id?: string; name?: string; output?: unknown }[];
        const call = items.find((item) => item.type === "function_call");
        expect(call).toMatchObject({ name: "exec_command", call_id: "call_codex_exec_1" });
        const output = items.find((item) => item.type === "function_call_output");
        expect(output?.call_id).toBe("call_codex_exec_1");
        expect(JSON.stringify(output?.output)).toContain("hermes-42");
      }
      expect(await setup.storedKeys("responses:")).toEqual([]);
    },
    CODEX_TEST_TIMEOUT,
  );

  it(
    "answers a text turn with Codex's own default model (its tools in an additional_tools input item)",
    async () => {
      setup.upstream.enqueue({ text: "Default model, fine." });

      const run = await runCodex({ baseURL: setup.baseURL, apiKey: setup.apiKey, prompt: "Say hello." });

      expect(run.exitCode, transcript(run)).toBe(0);
      expect(run.lastMessage.trim(), transcript(run)).toBe("Default model, fine.");
      expect(setup.upstream.requests.map((request) => request.path)).toEqual([path]);
      // The proxy routes any model name to its upstream model.
      expect(setup.upstream.requests[0]!.body.model).toBe("fake-model");
    },
    CODEX_TEST_TIMEOUT,
  );
});
