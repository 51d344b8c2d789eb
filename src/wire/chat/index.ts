export { decodeChatRequest, messagesToItems, type DecodedChatRequest } from "./decode.ts";
export { ChatStreamEncoder, type ChatStreamOptions } from "./encode-stream.ts";
export { encodeChatCompletion } from "./encode-json.ts";
export { chatRequestSchema, type ChatRequest, type ChatMessage } from "./schema.ts";
export { chatResultHeaders } from "./result-headers.ts";
