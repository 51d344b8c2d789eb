export {
  decodeCreateSession,
  decodeForkSession,
  decodePatchSession,
  decodeSessionChat,
  decodeSessionId,
  type DecodedSessionChat,
  toSessionsError,
} from "./decode.ts";
export { listMessagesQuerySchema, listSessionsQuerySchema } from "./schema.ts";
export { encodeSessionChatCompletion } from "./encode-json.ts";
export { SessionChatStreamEncoder, type SessionChatStreamOptions } from "./encode-stream.ts";
export { type SessionMessage, sessionMessages } from "./messages.ts";
export { encodeSession, type SessionObject, sessionEnvelope } from "./session-object.ts";
