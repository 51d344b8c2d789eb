/**
 * Request bodies. A short conversation (system prompt, one earlier turn, a question): about what a
 * chat frontend sends on its second turn. The model name tells the fake upstream what to answer.
 */

const messages = [
  { role: "system", content: "You are a concise assistant. Answer in plain text, without markdown, in at most three sentences." },
  { role: "user", content: "What is the capital of France, and roughly how many people live there?" },
  { role: "assistant", content: "Paris is the capital of France; about 2.1 million people live in the city and 12 million in its metropolitan area." },
  { role: "user", content: "And which river runs through it? Give one sentence about its history as a trade route as well." },
];

export function chatBody(model: string, stream: boolean, opening = messages): string {
  return JSON.stringify(stream ? { model, stream: true, messages: opening } : { model, messages: opening });
}

/**
 * Replaced in a request body by a number of its own for each request the load generator sends (wrk's
 * script counts, autocannon's `-I` writes a random id): one body, every request different.
 */
export const requestIdPlaceholder = "[<id>]";

/** The conversation opened by a system prompt of its own: every request a conversation, and a session, of its own. */
export const ownConversation = [{ ...messages[0]!, content: `${messages[0]!.content} (conversation ${requestIdPlaceholder})` }, ...messages.slice(1)];

/**
 * The same conversation as a Responses request: instructions plus input items. `store: false` unless
 * `store` (then the field is left out, as the openai SDK leaves it: the API's default, stored).
 */
export function responsesBody(model: string, stream: boolean, store = false): string {
  const [system, ...rest] = messages;
  return JSON.stringify(
    store ? { model, instructions: system!.content, input: rest, stream } : { model, instructions: system!.content, input: rest, stream, store: false },
  );
}
