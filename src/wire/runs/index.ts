export { decodeApprovalRequest, decodeRunRequest, type DecodedRunRequest } from "./decode.ts";
export { approvalRequestPayload, approvalRespondedPayload, cancelledPayload, RunsEventEncoder, type RunsPayload, runsUsage } from "./encode-events.ts";
export { encodeRunStatus, type RunSnapshot } from "./encode-status.ts";
export { runEventFrame, STREAM_CLOSED_FRAME, streamInterruptedFrame } from "./frames.ts";
export { runRequestSchema, type RunRequest } from "./schema.ts";
