import type { Storage } from "unstorage";
import type { StorageCoordination } from "../plugin-api/index.ts";
import { keys } from "../state/keys.ts";
import { isObject, unreadable } from "../state/records.ts";
import { firesKept, type JobFire, type JobRecord } from "./record.ts";

/** Records read per round trip when listing. */
const batch = 200;

/**
 * Jobs and their fires in the shared storage. A job is one record under `jobs:<id>`, changed only
 * through `coordination.update` (atomic across processes on Redis) once it exists; each fire is its own
 * key, `job-fires:<jobId>:<sequence>`, and only the latest `firesKept` of a job are kept.
 */
export function createJobStore(storage: Storage, coordination: StorageCoordination) {
  const readJob = (key: string, value: unknown): JobRecord | null => {
    if (value === null || value === undefined) return null;
    if (!isObject(value) || typeof value.id !== "string" || typeof value.schedule !== "string") return unreadable(key);
    return value as unknown as JobRecord;
  };
  const readFire = (key: string, value: unknown): JobFire | null => {
    if (value === null || value === undefined) return null;
    if (!isObject(value) || typeof value.id !== "string" || typeof value.sequence !== "number") return unreadable(key);
    return value as unknown as JobFire;
  };
  /** The keys of the fires a job may still hold, newest first. */
  const fireKeys = (job: JobRecord) => {
    const found: string[] = [];
    for (let sequence = job.fireSequence; sequence > Math.max(0, job.fireSequence - firesKept); sequence--) found.push(keys.jobFire(job.id, sequence));
    return found;
  };

  return {
    async get(id: string): Promise<JobRecord | null> {
      const key = keys.job(id);
      return readJob(key, await storage.getItem(key));
    },
    /**
     * Every job. A scan of the `jobs:` keys: jobs are few (`jobs.maxJobs`), and the scheduler needs
     * them all each tick anyway, including those other processes created.
     */
    async list(): Promise<JobRecord[]> {
      const all = await storage.getKeys(keys.jobs());
      const jobs: JobRecord[] = [];
      for (let start = 0; start < all.length; start += batch)
        for (const { key, value } of await storage.getItems(all.slice(start, start + batch))) {
          const job = readJob(key, value);
          if (job) jobs.push(job);
        }
      return jobs;
    },
    async count(): Promise<number> {
      return (await storage.getKeys(keys.jobs())).length;
    },
    async insert(job: JobRecord): Promise<void> {
      await storage.setItem(keys.job(job.id), job as never);
    },
    /** Atomic read-modify-write; `change` returns undefined to leave the job as it is. Resolves with the job after. */
    update(id: string, change: (current: JobRecord | null) => JobRecord | undefined): Promise<JobRecord | null> {
      return coordination.update<JobRecord>(keys.job(id), change);
    },
    /** Deletes the job and its fires; false when there was none. */
    async remove(id: string): Promise<boolean> {
      let removed: JobRecord | null = null;
      await coordination.update<JobRecord>(keys.job(id), (current) => {
        removed = current;
        return current ? null : undefined;
      });
      const job = removed as JobRecord | null;
      if (!job) return false;
      await Promise.all(fireKeys(job).map((key) => storage.removeItem(key)));
      return true;
    },
    /** Stores a new fire and drops the one that falls out of the kept window. */
    async putFire(fire: JobFire): Promise<void> {
      await storage.setItem(keys.jobFire(fire.jobId, fire.sequence), fire as never);
      if (fire.sequence > firesKept) await storage.removeItem(keys.jobFire(fire.jobId, fire.sequence - firesKept));
    },
    async getFire(jobId: string, sequence: number): Promise<JobFire | null> {
      const key = keys.jobFire(jobId, sequence);
      return readFire(key, await storage.getItem(key));
    },
    /** Atomic change of a stored fire; one already deleted (with its job) stays deleted. */
    updateFire(jobId: string, sequence: number, change: (current: JobFire) => JobFire | undefined): Promise<JobFire | null> {
      return coordination.update<JobFire>(keys.jobFire(jobId, sequence), (current) => (current ? change(current) : undefined));
    },
    /** The job's kept fires, newest first. */
    async fires(job: JobRecord): Promise<JobFire[]> {
      const wanted = fireKeys(job);
      if (wanted.length === 0) return [];
      const found: JobFire[] = [];
      for (const { key, value } of await storage.getItems(wanted)) {
        const fire = readFire(key, value);
        if (fire) found.push(fire);
      }
      return found.sort((a, b) => b.sequence - a.sequence);
    },
  };
}

export type JobStore = ReturnType<typeof createJobStore>;
