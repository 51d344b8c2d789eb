/**
 * The one error class tools and plugins throw; the server answers it with the OpenAI error envelope
 * and its status.
 *
 * @example
 * import { HermesError } from "hermes-proxy/sdk";
 * throw new HermesError("city is required", { status: 400, code: "missing_city", param: "city" });
 */
export { HermesError, type HermesErrorInfo, type HermesErrorOptions, type HermesErrorType } from "../src/protocol/errors.ts";
