import { getRouterParam, type H3Event, HTTPResponse } from "h3";
import { encodeFire, encodeJob } from "../../../jobs/encode.ts";
import { requireJobId } from "../../../jobs/job-id.ts";
import type { JobRecord } from "../../../jobs/record.ts";
import { decodeCreateJob, decodePatchJob, jobFiresQuerySchema, listJobsQuerySchema } from "../../../jobs/requests.ts";
import type { JobService } from "../../../jobs/service.ts";
import { HermesError } from "../../../protocol/index.ts";
import { readJsonBody } from "../../body.ts";
import type { ServerContext } from "../../context.ts";
import { validatedQuery } from "../../query.ts";

const jsonHeaders = { "content-type": "application/json; charset=utf-8" };

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new HTTPResponse(JSON.stringify(body), { status, headers: { ...jsonHeaders, ...headers } });

const oneJob = (job: JobRecord) => ({ object: "hermes.job" as const, job: encodeJob(job) });

/**
 * `/api/jobs*`: scheduled runs. Success bodies keep the original server's keys (`jobs`, `job`) with an
 * `object` beside them; errors are the OpenAI envelope like every other route. With `jobs.enabled`
 * off, every route is a 404 `jobs_disabled`.
 */
export function createJobsHandlers(context: ServerContext) {
  const { config } = context;
  const service = (): JobService => {
    if (context.jobs) return context.jobs;
    throw new HermesError("The jobs API is turned off on this server (jobs.enabled: false, or HERMES_JOBS=0)", { status: 404, code: "jobs_disabled" });
  };
  const jobId = (event: H3Event) => requireJobId(getRouterParam(event, "id") ?? "");

  return {
    /** `GET /api/jobs?include_disabled=true` */
    list: async (event: H3Event) => {
      const query = await validatedQuery(event, listJobsQuerySchema);
      const jobs = await service().list(query.include_disabled);
      return json({ object: "list", jobs: jobs.map(encodeJob) });
    },
    /** `POST /api/jobs` → 201 */
    create: async (event: H3Event) => {
      const jobs = service();
      const { json: body } = await readJsonBody(event, config.server.bodyLimit);
      const job = await jobs.create(decodeCreateJob(body));
      return json(oneJob(job), 201, { location: `/api/jobs/${job.id}` });
    },
    /** `GET /api/jobs/{id}` */
    get: async (event: H3Event) => json(oneJob(await service().get(jobId(event)))),
    /** `PATCH /api/jobs/{id}`: name, schedule, prompt, repeat, enabled, instructions, timezone. */
    patch: async (event: H3Event) => {
      const jobs = service();
      const id = jobId(event);
      const { json: body } = await readJsonBody(event, config.server.bodyLimit);
      return json(oneJob(await jobs.patch(id, decodePatchJob(body))));
    },
    /** `DELETE /api/jobs/{id}`: the job and its recorded fires (runs already started finish). */
    remove: async (event: H3Event) => {
      const jobs = service();
      const id = jobId(event);
      await jobs.remove(id);
      return json({ object: "hermes.job.deleted", id, deleted: true });
    },
    /** `POST /api/jobs/{id}/pause` */
    pause: async (event: H3Event) => json(oneJob(await service().pause(jobId(event)))),
    /** `POST /api/jobs/{id}/resume` */
    resume: async (event: H3Event) => json(oneJob(await service().resume(jobId(event)))),
    /** `POST /api/jobs/{id}/run` → 202: fires now; the run is at `/v1/runs/{run_id}`. */
    run: async (event: H3Event) => {
      const jobs = service();
      const id = jobId(event);
      const { runId } = await jobs.fire(id);
      return json({ object: "hermes.job.fire", job_id: id, run_id: runId }, 202, { location: `/v1/runs/${runId}` });
    },
    /** `GET /api/jobs/{id}/runs?limit=&after=`: the job's fires, newest first. */
    runs: async (event: H3Event) => {
      const jobs = service();
      const id = jobId(event);
      const { limit, after } = await validatedQuery(event, jobFiresQuerySchema);
      let fires = await jobs.fires(id);
      if (after !== undefined) {
        const index = fires.findIndex((fire) => fire.id === after);
        if (index === -1) throw new HermesError(`No fire '${after}' among this job's kept fires`, { status: 400, code: "invalid_cursor", param: "after" });
        fires = fires.slice(index + 1);
      }
      return json({ object: "list", data: fires.slice(0, limit).map(encodeFire), has_more: fires.length > limit });
    },
  };
}
