import { HermesError } from "../protocol/index.ts";

/** 12 lowercase hex characters, the original server's job id format. */
const jobIdPattern = /^[0-9a-f]{12}$/;

export function newJobId(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 12);
}

/**
 * A job id from a URL, checked before it reaches storage.
 * @throws {HermesError} 400 `invalid_job_id`.
 */
export function requireJobId(id: string): string {
  if (jobIdPattern.test(id)) return id;
  throw new HermesError("Invalid job id: expected 12 lowercase hexadecimal characters", { status: 400, code: "invalid_job_id", param: "job_id" });
}
