import { assertNever, emptyUsage, type HermesEvent, type OutputItem, type RunResult, type ToolCallStartedEvent, toolOutputId } from "../protocol/index.ts";

/**
 * Folds a run's events into a RunResult. Pure and incremental: `add` each event as it arrives, read
 * `result` at any point (a client that disconnects mid-run still leaves a partial result).
 */
export class RunCollector {
  readonly result: RunResult = {
    runId: "",
    model: "",
    createdAt: 0,
    output: [],
    status: "in_progress",
    finishReason: null,
    incompleteReason: undefined,
    usage: emptyUsage(),
    error: null,
  };
  /** Text (and summary parts) of the open message and reasoning blocks, by item id. */
  #open = new Map<string, { text: string; summary: string[]; index: number }>();
  /** Where each tool call sits in `output`, by call id. */
  #calls = new Map<string, number>();

  add(event: HermesEvent): void {
    const result = this.result;
    switch (event.type) {
      case "run.started":
        result.runId = event.runId;
        result.model = event.model;
        result.createdAt = event.createdAt;
        return;
      case "message.started":
        this.#openBlock(event.itemId, { type: "message", id: event.itemId, role: "assistant", content: [] });
        return;
      case "reasoning.started":
        this.#openBlock(event.itemId, { type: "reasoning", id: event.itemId, text: "" });
        return;
      case "text.delta": {
        const block = this.#open.get(event.itemId);
        if (block) block.text += event.delta;
        return;
      }
      case "reasoning.delta": {
        const block = this.#open.get(event.itemId);
        if (!block) return;
        if (event.summaryIndex === undefined) block.text += event.delta;
        else block.summary[event.summaryIndex] = (block.summary[event.summaryIndex] ?? "") + event.delta;
        return;
      }
      case "message.completed":
        this.#closeBlock(event.itemId, (item) => {
          if (item.type === "message") item.content = [{ type: "output_text", text: event.text, ...(event.annotations && { annotations: event.annotations }) }];
        });
        return;
      case "reasoning.completed":
        this.#closeBlock(event.itemId, (item) => {
          if (item.type !== "reasoning") return;
          item.text = event.text;
          if (event.summary !== undefined && event.summary.length > 0) item.summary = event.summary;
          if (event.encryptedContent !== undefined) item.encryptedContent = event.encryptedContent;
        });
        return;
      case "tool.call.started":
        // Placed when it starts, as a stream shows it, so streamed and collected output keep one order.
        this.#calls.set(event.callId, result.output.length);
        result.output.push(callItem(event, ""));
        return;
      case "tool.call.completed": {
        const index = this.#calls.get(event.callId);
        const item = callItem(event, event.arguments);
        if (index === undefined) result.output.push(item);
        else result.output[index] = item;
        return;
      }
      case "tool.completed":
        result.output.push({ type: "function_call_output", id: toolOutputId(event.callId), call_id: event.callId, output: event.output });
        return;
      case "opaque.started":
        this.#calls.set(event.itemId, result.output.length);
        result.output.push({ type: "opaque", id: event.itemId, value: event.value });
        return;
      case "opaque.completed": {
        const index = this.#calls.get(event.itemId);
        const item: OutputItem = { type: "opaque", id: event.itemId, value: event.value };
        if (index === undefined) result.output.push(item);
        else result.output[index] = item;
        return;
      }
      case "opaque.delta":
      case "tool.call.delta":
      case "tool.started":
      case "tool.progress":
      case "step.completed":
        return;
      case "run.completed":
        this.closeOpenBlocks();
        result.status = event.status;
        result.finishReason = event.finishReason;
        result.incompleteReason = event.incompleteReason;
        result.usage = event.usage;
        return;
      case "run.failed":
        this.closeOpenBlocks();
        result.status = "failed";
        result.error = event.error;
        if (event.usage) result.usage = event.usage;
        return;
      default:
        assertNever(event);
    }
  }

  #openBlock(itemId: string, item: OutputItem): void {
    this.#open.set(itemId, { text: "", summary: [], index: this.result.output.length });
    this.result.output.push(item);
  }

  #closeBlock(itemId: string, finish: (item: OutputItem) => void): void {
    const block = this.#open.get(itemId);
    if (!block) return;
    this.#open.delete(itemId);
    const item = this.result.output[block.index];
    if (item) finish(item);
  }

  /** A run that ends with blocks still open (cut short) keeps the text that did arrive. */
  closeOpenBlocks(): void {
    for (const [itemId, block] of this.#open) {
      const item = this.result.output[block.index];
      if (item?.type === "message") item.content = [{ type: "output_text", text: block.text }];
      else if (item?.type === "reasoning") {
        item.text = block.text;
        if (block.summary.length > 0) item.summary = block.summary.map((part) => part ?? "");
      }
      this.#open.delete(itemId);
    }
  }
}

/** A tool call as an output item, with the namespace the client declared it under. */
function callItem(event: Pick<ToolCallStartedEvent, "itemId" | "callId" | "name" | "namespace" | "side">, args: string): OutputItem {
  return {
    type: "function_call",
    id: event.itemId,
    call_id: event.callId,
    ...(event.namespace !== undefined && { namespace: event.namespace }),
    name: event.name,
    arguments: args,
    side: event.side ?? "client",
  };
}
