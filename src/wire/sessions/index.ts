export {
  decodeCreateSession,
  decodeForkSession,
  decodeListMessagesQuery,
  decodeListSessionsQuery,
  decodePatchSession,
  decodeSessionChat,
  decodeSessionId,
  type DecodedSessionChat,
} from "./decode.ts";
export { encodeSessionChatCompletion } from "./encode-json.ts";
export { SessionChatStreamEncoder, type SessionChatStreamOptions } from "./encode-stream.ts";
export { type SessionMessage, sessionMessages } from "./messages.ts";
export { encodeSession, type SessionObject, sessionEnvelope } from "./session-object.ts";
