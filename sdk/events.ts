/**
 * The internal event protocol and item types, as plugins observe them. Types only: `src/protocol`
 * is the spec, and this re-export is how code outside `src/` reaches it.
 *
 * @example
 * import type { HermesEvent } from "hermes-proxy/sdk";
 * function onEvent(event: HermesEvent) {
 *   if (event.type === "text.delta") process.stdout.write(event.delta);
 * }
 */
export type {
  ContentPart,
  FinishReason,
  FunctionCallItem,
  FunctionCallOutputItem,
  FunctionTool,
  HermesEvent,
  HermesEventOf,
  HermesEventType,
  ImagePart,
  Item,
  MessageCompletedEvent,
  MessageItem,
  MessageStartedEvent,
  ReasoningCompletedEvent,
  ReasoningDeltaEvent,
  ReasoningItem,
  ReasoningStartedEvent,
  RunCompletedEvent,
  RunFailedEvent,
  RunInput,
  RunStartedEvent,
  RunStatus,
  StepCompletedEvent,
  TerminalEvent,
  TextDeltaEvent,
  TextPart,
  ToolCallCompletedEvent,
  ToolCallDeltaEvent,
  ToolCallStartedEvent,
  ToolCompletedEvent,
  ToolSide,
  ToolProgressEvent,
  ToolStartedEvent,
  Usage,
} from "../src/protocol/index.ts";
