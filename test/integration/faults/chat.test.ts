import { describeFaultMatrix } from "./matrix.ts";

describeFaultMatrix("chat", ["chat", "chat-stream"]);
