export { withOptionalPackage } from "../src/utils/index.ts";
