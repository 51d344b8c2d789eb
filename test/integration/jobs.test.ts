import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { errorOf, jobsClient } from "../helpers/jobs-api.ts";
import { FakeJobClock } from "../helpers/jobs-clock.ts";
import { startProxy, type TestProxy } from "../helpers/proxy.ts";

const KEY = "jobs-test-key-0123456789abcdef";
const start = Date.parse("2030-01-01T00:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();

/** The jobs API over a real listener: CRUD, validation, ids, the PATCH whitelist, pause and resume. */
describe("the jobs API: CRUD and validation", () => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;
  let clock: FakeJobClock;
  let api: ReturnType<typeof jobsClient>;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    clock = new FakeJobClock(start);
    proxy = await startProxy({ server: { apiKey: KEY }, upstream: { baseURL: upstream.url, model: "fake-model" } }, { jobClock: clock });
    api = jobsClient(proxy.url, KEY);
  });
  afterEach(() => api.removeAll());
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  it("creates (201), reads, lists, changes and deletes a job", async () => {
    const created = await api.request("POST", "/api/jobs", {
      name: "  Morning brief ",
      schedule: "every 10m",
      prompt: "Summarise the news",
      instructions: "Be brief",
      repeat: 3,
    });
    expect(created.status).toBe(201);
    const { job } = created.body;
    expect(created.body.object).toBe("hermes.job");
    expect(job.id).toMatch(/^[0-9a-f]{12}$/);
    expect(created.headers.get("location")).toBe(`/api/jobs/${job.id}`);
    expect(job).toEqual({
      id: job.id,
      name: "Morning brief",
      prompt: "Summarise the news",
      instructions: "Be brief",
      schedule: { kind: "interval", minutes: 10, display: "every 10m" },
      schedule_display: "every 10m",
      timezone: null,
      repeat: { times: 3, completed: 0 },
      enabled: true,
      state: "scheduled",
      created_at: iso(start),
      updated_at: iso(start),
      paused_at: null,
      next_run_at: iso(start + 600_000),
      last_run_at: null,
      last_status: null,
      last_error: null,
      last_run_id: null,
      last_fire: null,
    });

    expect(await api.request("GET", `/api/jobs/${job.id}`)).toMatchObject({ status: 200, body: { object: "hermes.job", job } });
    expect((await api.request("GET", "/api/jobs")).body).toEqual({ object: "list", jobs: [job] });

    const patched = await api.request("PATCH", `/api/jobs/${job.id}`, { name: "Evening brief", prompt: "Summarise the day", instructions: null, repeat: null });
    expect(patched.status).toBe(200);
    expect(patched.body.job).toMatchObject({
      name: "Evening brief",
      prompt: "Summarise the day",
      instructions: null,
      repeat: { times: null, completed: 0 },
      next_run_at: iso(start + 600_000),
    });

    const deleted = await api.request("DELETE", `/api/jobs/${job.id}`);
    expect(deleted).toMatchObject({ status: 200, body: { object: "hermes.job.deleted", id: job.id, deleted: true } });
    expect(errorOf(await api.request("GET", `/api/jobs/${job.id}`), 404)).toEqual({
      message: `Job not found: ${job.id}`,
      type: "not_found_error",
      param: "job_id",
      code: "job_not_found",
    });
    expect((await api.request("GET", "/api/jobs")).body.jobs).toEqual([]);
    // Nothing was sent upstream: creating a job runs nothing.
    expect(upstream.requests).toHaveLength(0);
  });

  it("describes each kind of schedule as the original server does", async () => {
    const cron = await api.create({ name: "c", schedule: "0 9 * * 1-5", prompt: "p", timezone: "Europe/Berlin" });
    expect(cron).toMatchObject({
      schedule: { kind: "cron", expr: "0 9 * * 1-5", display: "0 9 * * 1-5" },
      timezone: "Europe/Berlin",
      next_run_at: "2030-01-01T08:00:00.000Z",
    });
    const once = await api.create({ name: "o", schedule: "2030-01-02T12:00:00+02:00", prompt: "p" });
    expect(once).toMatchObject({
      schedule: { kind: "once", run_at: "2030-01-02T10:00:00.000Z", display: "once at 2030-01-02 10:00 UTC" },
      next_run_at: "2030-01-02T10:00:00.000Z",
    });
  });

  it("refuses every bad field with a 400 naming it", async () => {
    const valid = { name: "n", schedule: "every 1h", prompt: "p" };
    const cases: [string, Record<string, unknown>, string, string, string?][] = [
      ["no name", { schedule: "every 1h", prompt: "p" }, "name", "invalid_request"],
      ["name too long", { ...valid, name: "x".repeat(201) }, "name", "invalid_request"],
      ["blank name", { ...valid, name: "   " }, "name", "invalid_request", "must not be blank"],
      ["name not a string", { ...valid, name: 7 }, "name", "invalid_request"],
      ["no schedule", { name: "n", prompt: "p" }, "schedule", "invalid_request"],
      ["bad cron", { ...valid, schedule: "61 * * * *" }, "schedule", "invalid_schedule", "Invalid value for minute"],
      ["garbage schedule", { ...valid, schedule: "tomorrow-ish" }, "schedule", "invalid_schedule"],
      ["sub-minute interval", { ...valid, schedule: "every 30s" }, "schedule", "invalid_schedule", "the shortest interval is 1 minute"],
      ["time in the past", { ...valid, schedule: "2029-12-31T23:00:00Z" }, "schedule", "invalid_schedule", "is in the past"],
      ["never fires", { ...valid, schedule: "0 0 30 2 *" }, "schedule", "invalid_schedule", "it never fires"],
      ["no prompt", { name: "n", schedule: "every 1h" }, "prompt", "invalid_request"],
      ["prompt too long", { ...valid, prompt: "p".repeat(5_001) }, "prompt", "invalid_request"],
      ["repeat zero", { ...valid, repeat: 0 }, "repeat", "invalid_request"],
      ["repeat fraction", { ...valid, repeat: 1.5 }, "repeat", "invalid_request"],
      ["repeat string", { ...valid, repeat: "3" }, "repeat", "invalid_request"],
      ["enabled string", { ...valid, enabled: "yes" }, "enabled", "invalid_request"],
      ["instructions number", { ...valid, instructions: 1 }, "instructions", "invalid_request"],
      ["instructions too long", { ...valid, instructions: "i".repeat(10_001) }, "instructions", "invalid_request"],
      ["unknown timezone", { ...valid, timezone: "Mars/Base" }, "timezone", "invalid_timezone"],
      ["unsupported field", { ...valid, deliver: "telegram" }, "deliver", "unsupported_job_field", "Unsupported job field 'deliver'"],
      ["server-owned field", { ...valid, next_run_at: "2030-01-01T00:00:00Z" }, "next_run_at", "unsupported_job_field"],
    ];
    for (const [label, body, param, code, message] of cases) {
      const error = errorOf(await api.request("POST", "/api/jobs", body), 400);
      expect({ label, param: error.param, code: error.code, type: error.type }).toEqual({ label, param, code, type: "invalid_request_error" });
      if (message) expect(error.message, label).toContain(message);
    }
    expect(errorOf(await api.request("POST", "/api/jobs", [valid]), 400).code).toBe("invalid_request");
    expect(errorOf(await api.request("POST", "/api/jobs", undefined, "{not json"), 400).code).toBe("invalid_json");
    expect((await api.request("GET", "/api/jobs?include_disabled=true")).body.jobs).toEqual([]);
  });

  it("PATCH changes only the whitelisted fields, and refuses anything else by name", async () => {
    const job = await api.create({ name: "n", schedule: "every 1h", prompt: "p" });
    for (const field of ["id", "state", "next_run_at", "fire_count", "deliver", "model"]) {
      const error = errorOf(await api.request("PATCH", `/api/jobs/${job.id}`, { name: "changed", [field]: "x" }), 400);
      expect(error).toMatchObject({ code: "unsupported_job_field", param: field });
    }
    expect(errorOf(await api.request("PATCH", `/api/jobs/${job.id}`, {}), 400)).toMatchObject({ code: "no_fields_to_update" });
    expect(errorOf(await api.request("PATCH", `/api/jobs/${job.id}`, { schedule: "every 10s" }), 400)).toMatchObject({
      code: "invalid_schedule",
      param: "schedule",
    });
    expect(errorOf(await api.request("PATCH", `/api/jobs/${job.id}`, { timezone: "Nowhere/City" }), 400)).toMatchObject({ code: "invalid_timezone" });
    expect(errorOf(await api.request("PATCH", `/api/jobs/${job.id}`, { prompt: "" }), 400)).toMatchObject({ param: "prompt" });
    // Nothing of the refused changes stuck.
    expect((await api.request("GET", `/api/jobs/${job.id}`)).body.job).toEqual(job);

    await clock.advance(5 * 60_000);
    const rescheduled = await api.request("PATCH", `/api/jobs/${job.id}`, { schedule: "*/15 * * * *", timezone: "Asia/Kolkata" });
    // 00:05 UTC is 05:35 in Kolkata; the next quarter hour there is 05:45, 00:15 UTC.
    expect(rescheduled.body.job).toMatchObject({
      schedule: { kind: "cron", expr: "*/15 * * * *" },
      timezone: "Asia/Kolkata",
      next_run_at: "2030-01-01T00:15:00.000Z",
    });
    const disabled = await api.request("PATCH", `/api/jobs/${job.id}`, { enabled: false });
    expect(disabled.body.job).toMatchObject({ enabled: false, state: "paused", next_run_at: null });
  });

  it("validates job ids (12 lowercase hex) on every route, and answers 404 for unknown ones", async () => {
    const routes: [string, string, unknown?][] = [
      ["GET", ""],
      ["PATCH", "", { name: "x" }],
      ["DELETE", ""],
      ["POST", "/pause"],
      ["POST", "/resume"],
      ["POST", "/run"],
      ["GET", "/runs"],
    ];
    for (const bad of ["ABCDEF123456", "abc", "0123456789abc", "resp_missing", "%2E%2E%2Fetc", "0123456789ag"])
      for (const [method, suffix, body] of routes) {
        const error = errorOf(await api.request(method, `/api/jobs/${bad}${suffix}`, body), 400);
        expect(error).toEqual({
          message: "Invalid job id: expected 12 lowercase hexadecimal characters",
          type: "invalid_request_error",
          param: "job_id",
          code: "invalid_job_id",
        });
      }
    for (const [method, suffix, body] of routes)
      expect(errorOf(await api.request(method, `/api/jobs/0123456789ab${suffix}`, body), 404).code).toBe("job_not_found");
    expect(errorOf(await api.request("PUT", "/api/jobs"), 405).code).toBe("method_not_allowed");
    expect(upstream.requests).toHaveLength(0);
  });

  it("lists paused jobs only with include_disabled", async () => {
    const active = await api.create({ name: "active", schedule: "every 1h", prompt: "p" });
    // Listed oldest first.
    await clock.advance(1_000);
    const paused = await api.create({ name: "paused", schedule: "every 1h", prompt: "p", enabled: false });
    expect(paused).toMatchObject({ enabled: false, state: "paused", next_run_at: null, paused_at: iso(clock.now()) });
    const names = async (query: string) => (await api.request("GET", `/api/jobs${query}`)).body.jobs.map((job: { name: string }) => job.name);
    expect(await names("")).toEqual(["active"]);
    expect(await names("?include_disabled=false")).toEqual(["active"]);
    expect(await names("?include_disabled=true")).toEqual(["active", "paused"]);
    expect(await names("?include_disabled=1")).toEqual(["active", "paused"]);
    expect(errorOf(await api.request("GET", "/api/jobs?include_disabled=maybe"), 400)).toMatchObject({ param: "include_disabled" });
    expect(active.id).not.toBe(paused.id);
  });

  it("pauses and resumes: a resumed job's next fire counts from the resume", async () => {
    const job = await api.create({ name: "n", schedule: "every 1h", prompt: "p" });
    await clock.advance(10 * 60_000);
    const paused = await api.request("POST", `/api/jobs/${job.id}/pause`);
    expect(paused).toMatchObject({
      status: 200,
      body: { object: "hermes.job", job: { enabled: false, state: "paused", next_run_at: null, paused_at: iso(clock.now()) } },
    });
    expect((await api.request("POST", `/api/jobs/${job.id}/pause`)).body.job).toEqual(paused.body.job);
    await clock.advance(3 * 60 * 60_000);
    expect(upstream.requests).toHaveLength(0);
    const resumed = await api.request("POST", `/api/jobs/${job.id}/resume`);
    expect(resumed.body.job).toMatchObject({ enabled: true, state: "scheduled", paused_at: null, next_run_at: iso(clock.now() + 60 * 60_000) });
  });

  it("reports the jobs API in /v1/capabilities", async () => {
    const response = await fetch(`${proxy.url}/v1/capabilities`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(((await response.json()) as { features: Record<string, unknown> }).features.jobs_api).toBe(true);
  });
});

describe("the jobs API turned off or without a key", () => {
  it("answers 404 jobs_disabled with jobs.enabled off, and says so in /v1/capabilities", async () => {
    const proxy = await startProxy({ server: { apiKey: KEY }, jobs: { enabled: false } });
    try {
      const api = jobsClient(proxy.url, KEY);
      expect(errorOf(await api.request("GET", "/api/jobs"), 404).code).toBe("jobs_disabled");
      expect(errorOf(await api.request("POST", "/api/jobs/0123456789ab/run"), 404).code).toBe("jobs_disabled");
      const capabilities = await fetch(`${proxy.url}/v1/capabilities`, { headers: { authorization: `Bearer ${KEY}` } });
      expect(((await capabilities.json()) as { features: Record<string, unknown> }).features.jobs_api).toBe(false);
    } finally {
      await proxy.close();
    }
  });

  it("refuses /api/jobs with 403 api_key_required when no key is configured", async () => {
    const proxy = await startProxy({});
    try {
      const response = await fetch(`${proxy.url}/api/jobs`);
      expect(errorOf({ status: response.status, headers: response.headers, body: await response.json() }, 403).code).toBe("api_key_required");
    } finally {
      await proxy.close();
    }
  });
});
