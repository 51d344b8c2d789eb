export { decodeAddItems, decodeCreateConversation, decodeUpdateConversation, type DecodedCreateConversation, type NewConversationItems } from "./decode.ts";
export { conversationItem, conversationObject, deletedConversation, itemList, itemPage, type ConversationFacts } from "./encode.ts";
export { itemQuerySchema, listItemsQuerySchema } from "./schema.ts";
