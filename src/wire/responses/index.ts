export { decodeResponsesRequest, defaultSettings, type DecodedResponsesRequest, type ResponseSettings } from "./decode.ts";
export { ResponsesStreamEncoder } from "./encode-stream.ts";
export { encodeResponse, pendingResponse, responsesUsage, type ResponseMeta, type ResponseObject, type ResponseStatus } from "./response-object.ts";
export { inputToItems, itemToWire, outputToItems, outputToWire, type ItemReference, type WireItem } from "./items.ts";
export { compactResponse, expandResponse, type CompactResponse } from "./stored.ts";
export { inputItemsQuerySchema, responsesRequestSchema, type ResponsesRequest, retrieveResponseQuerySchema } from "./schema.ts";
export { decodeForwardedRequest, type ForwardedRequest } from "./forwarded.ts";
