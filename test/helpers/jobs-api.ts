import { expect } from "vitest";

export interface ApiReply {
  status: number;
  headers: Headers;
  // biome-ignore lint: a test reads whatever the route answered
  body: any;
}

/** Raw fetch against `/api/jobs*` (and the Runs API) with the key; the body parsed as JSON. */
export function jobsClient(baseUrl: string, key: string) {
  const request = async (method: string, path: string, body?: unknown, raw?: string): Promise<ApiReply> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined || raw !== undefined ? { "content-type": "application/json" } : {}) },
      ...(raw !== undefined ? { body: raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
  };
  return {
    request,
    /** Creates a job and returns it (asserting the 201). */
    async create(fields: Record<string, unknown>) {
      const reply = await request("POST", "/api/jobs", fields);
      expect(reply.status, JSON.stringify(reply.body)).toBe(201);
      return reply.body.job as { id: string } & Record<string, unknown>;
    },
    /** Deletes every job, paused ones too: a clean slate between tests. */
    async removeAll() {
      for (const job of (await request("GET", "/api/jobs?include_disabled=true")).body.jobs) await request("DELETE", `/api/jobs/${job.id}`);
    },
    /** The job's fires, newest first. */
    async fires(id: string) {
      const reply = await request("GET", `/api/jobs/${id}/runs?limit=50`);
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      return reply.body.data as ({ run_id: string; status: string; output: string | null; trigger: string } & Record<string, unknown>)[];
    },
    /** Waits until every fire of the job has ended (the runs are short), and returns them. */
    async settledFires(id: string, count: number) {
      // A generous bound, not a timing assertion: the runs end in milliseconds, a loaded machine may take longer.
      await expect
        .poll(async () => (await this.fires(id)).filter((fire) => !["queued", "running"].includes(fire.status)).length, { timeout: 15_000 })
        .toBe(count);
      return this.fires(id);
    },
  };
}

/** An error envelope's `error` member, asserting the status. */
export function errorOf(reply: ApiReply, status: number) {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status);
  expect(Object.keys(reply.body)).toEqual(["error"]);
  return reply.body.error as { message: string; type: string; param: string | null; code: string | null };
}
