import { describeFaultMatrix } from "./matrix.ts";

// The same faults from a Responses API upstream, whose stream framing and terminal events differ.
// The steady trickle is left out: idle timing is the transport's, already shown over the chat upstream.
describeFaultMatrix("responses", ["chat-stream", "responses-stream", "runs"], { skip: ["steady-trickle"] });
