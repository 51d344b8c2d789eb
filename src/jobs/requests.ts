import { z } from "zod";
import { HermesError } from "../protocol/index.ts";
import { queryBoolean, queryInteger, queryParam } from "../wire/query-schemas.ts";
import { toRequestError } from "../wire/zod-error.ts";
import { firesKept } from "./record.ts";

/** Bounds on a job's fields, as on the original server (name ≤ 200, prompt ≤ 5,000). */
export const jobLimits = {
  name: 200,
  prompt: 5_000,
  instructions: 10_000,
  schedule: 256,
  /** Largest `repeat`. */
  repeat: 1_000_000,
} as const;

const nonBlankText = (max: number) =>
  z
    .string()
    .max(max)
    .refine((text) => text.trim() !== "", { message: "must not be blank" });

export const createJobSchema = z.object({
  name: nonBlankText(jobLimits.name),
  schedule: nonBlankText(jobLimits.schedule),
  prompt: nonBlankText(jobLimits.prompt),
  /** Scheduled fires before the job completes; null (or absent) for no limit. */
  repeat: z.number().int().positive().max(jobLimits.repeat).nullable().optional(),
  enabled: z.boolean().optional(),
  instructions: z.string().max(jobLimits.instructions).nullable().optional(),
  /** IANA timezone for cron expressions and ISO times without an offset; null for UTC. */
  timezone: z.string().min(1).max(64).nullable().optional(),
});

/** `PATCH /api/jobs/{id}`: only these fields may change; anything else is refused by name. */
export const patchJobSchema = createJobSchema.partial();

/** `GET /api/jobs?include_disabled=`: paused jobs too when true; absent or empty is false, as on the original server. */
export const listJobsQuerySchema = z.object({
  include_disabled: queryParam(queryBoolean.default(false)),
});

/** `GET /api/jobs/{id}/runs?limit=&after=`: `limit` up to the fires kept per job (default 20), `after` a fire id. */
export const jobFiresQuerySchema = z.object({
  limit: queryParam(queryInteger(1, firesKept).default(20)),
  after: queryParam(z.string().optional()),
});

export type CreateJobRequest = z.infer<typeof createJobSchema>;
export type PatchJobRequest = z.infer<typeof patchJobSchema>;

const allowed = Object.keys(patchJobSchema.shape);

/**
 * A `POST /api/jobs` body. Unknown fields are refused rather than ignored: a job that silently drops
 * `deliver` or `model` would run differently from what its author asked for.
 * @throws {HermesError} 400 naming the field.
 */
export function decodeCreateJob(body: unknown): CreateJobRequest {
  return decode(createJobSchema, body);
}

/** A `PATCH /api/jobs/{id}` body: at least one of the whitelisted fields. */
export function decodePatchJob(body: unknown): PatchJobRequest {
  const changes = decode(patchJobSchema, body);
  if (Object.keys(changes).length === 0)
    throw new HermesError(`No fields to update; a job's changeable fields are ${allowed.join(", ")}`, { status: 400, code: "no_fields_to_update" });
  return changes;
}

function decode<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new HermesError("The request body must be a JSON object", { status: 400, code: "invalid_request" });
  const unknown = Object.keys(body).find((key) => !allowed.includes(key));
  if (unknown !== undefined)
    throw new HermesError(`Unsupported job field '${unknown}'; a job's fields are ${allowed.join(", ")}`, {
      status: 400,
      code: "unsupported_job_field",
      param: unknown,
    });
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw toRequestError(parsed.error);
  return parsed.data;
}
