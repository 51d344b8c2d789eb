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

export function chatBody(model: string, stream: boolean): string {
  return JSON.stringify(stream ? { model, stream: true, messages } : { model, messages });
}

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
