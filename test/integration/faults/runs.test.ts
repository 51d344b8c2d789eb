import { describeFaultMatrix } from "./matrix.ts";

describeFaultMatrix("chat", ["runs"]);
