import type { FunctionTool, HermesEvent, HostedTool, Item } from "../protocol/index.ts";

/** What upstreams accept as a tool name (OpenAI's rule, the strictest in use). */
const upstreamName = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Tools the client declared inside a `namespace` tool reach the model under one qualified name each
 * (`multi_agent_v1__spawn_agent`; shortened with a hash when that would pass the 64-character limit),
 * which every upstream accepts; the calls the model makes come back to the client under the namespace
 * and name it declared. The qualified names are looked up, never parsed: any namespace and name map back.
 * A run without namespaces pays nothing: everything goes through as it is.
 */
export class ToolNames {
  readonly tools: FunctionTool[];
  readonly hostedTools: HostedTool[] | undefined;
  /** Qualified name → declared namespace and name. */
  readonly #declared = new Map<string, { namespace: string; name: string }>();
  /** `namespace\0name` → qualified name. */
  readonly #qualified = new Map<string, string>();

  constructor(tools: FunctionTool[], hostedTools: HostedTool[] | undefined) {
    const namespaced = tools.some((tool) => tool.namespace !== undefined) || (hostedTools ?? []).some((tool) => typeof tool.namespace === "string");
    if (!namespaced) {
      this.tools = tools;
      this.hostedTools = hostedTools;
      return;
    }
    const taken = new Set<string>();
    for (const tool of tools) if (tool.namespace === undefined) taken.add(tool.name);
    for (const tool of hostedTools ?? []) if (typeof tool.name === "string" && typeof tool.namespace !== "string") taken.add(tool.name);
    this.tools = tools.map((tool) => {
      if (tool.namespace === undefined) return tool;
      const { namespace, ...rest } = tool;
      return { ...rest, name: this.#qualify(namespace, tool.name, taken) };
    });
    this.hostedTools = hostedTools?.map((tool) => {
      if (typeof tool.namespace !== "string" || typeof tool.name !== "string") return tool;
      const { namespace, ...rest } = tool;
      return { ...rest, name: this.#qualify(namespace, tool.name, taken) };
    });
  }

  /** The history as the upstream must see it: calls made under a namespace carry its qualified name. */
  toUpstream(items: Item[]): Item[] {
    if (this.#qualified.size === 0) return items;
    return items.map((item) => {
      if (item.type === "function_call" && item.namespace !== undefined) {
        const { namespace, ...call } = item;
        return { ...call, name: this.#qualified.get(`${namespace}\0${item.name}`) ?? item.name };
      }
      const value = item.type === "opaque" ? item.value : undefined;
      if (value && typeof value.namespace === "string" && typeof value.name === "string") {
        const { namespace, ...rest } = value;
        return { ...item, value: { ...rest, name: this.#qualified.get(`${namespace}\0${value.name}`) ?? value.name } };
      }
      return item;
    });
  }

  /** Gives a call the model made under a qualified name its declared namespace and name (in place). */
  restore(event: HermesEvent): void {
    if (this.#declared.size === 0) return;
    switch (event.type) {
      case "tool.call.started":
      case "tool.call.completed": {
        const declared = this.#declared.get(event.name);
        if (declared) Object.assign(event, declared);
        return;
      }
      case "opaque.started":
      case "opaque.completed": {
        const declared = typeof event.value.name === "string" ? this.#declared.get(event.value.name) : undefined;
        if (declared) event.value = { ...event.value, ...declared };
        return;
      }
    }
  }

  #qualify(namespace: string, name: string, taken: Set<string>): string {
    const key = `${namespace}\0${name}`;
    const known = this.#qualified.get(key);
    if (known !== undefined) return known;
    let qualified = `${namespace}__${name}`.replace(/[^A-Za-z0-9_-]/g, "_");
    if (!upstreamName.test(qualified) || taken.has(qualified)) {
      const hash = fnv1a(key);
      qualified = `${qualified.slice(0, 64 - hash.length - 1)}_${hash}`;
    }
    taken.add(qualified);
    this.#qualified.set(key, qualified);
    this.#declared.set(qualified, { namespace, name });
    return qualified;
  }
}

/** A short stable hash (two 32-bit FNV-1a rounds, hex) that tells apart names cut to fit. */
function fnv1a(text: string): string {
  let first = 0x811c9dc5;
  let second = 0x01000193;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    first = Math.imul(first ^ code, 0x01000193) >>> 0;
    second = Math.imul(second ^ code, 0x811c9dc5) >>> 0;
  }
  return first.toString(16).padStart(8, "0") + second.toString(16).padStart(8, "0").slice(0, 2);
}
