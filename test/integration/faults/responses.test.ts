import { describeFaultMatrix } from "./matrix.ts";

describeFaultMatrix("chat", ["responses", "responses-stream"]);
