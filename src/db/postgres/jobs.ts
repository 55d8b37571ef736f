// Job rows (PostgreSQL): the same rows as db/sqlite/jobs.ts, leased so that with N instances one
// instance at a time runs a job, and a job whose instance died is taken over once its lease expired.

import type { SQL, TransactionSQL } from 'bun'
import type { JobRow, JobStatus, NewJob } from '../lifecycle'
import { all, first, numbers } from './rows'

const job = (r: JobRow | null) => (r ? numbers(r, 'done', 'total', 'lease_until') : null)

/** The progress and end of a job, written inside a step's own transaction (the job row locked first). */
export const jobSteps = {
  async insert(tx: SQL, j: NewJob) {
    await tx`INSERT INTO jobs (job_id, tenant_id, kind, target, status, done, total, created_at)
      VALUES (${j.job_id}, ${j.tenant_id}, ${j.kind}, ${j.target}, 'running', 0, ${j.total}, ${j.created_at})`
  },
  /** Locks the job row (a second instance's step on it waits) and reads where it stands. */
  async lock(tx: TransactionSQL, jobId: string) {
    return first<{ status: JobStatus; cursor: string | null }>(await tx`SELECT status, cursor FROM jobs WHERE job_id = ${jobId} FOR UPDATE`)
  },
  async advance(tx: TransactionSQL, jobId: string, units: number, cursor: string | null = null) {
    await tx`UPDATE jobs SET done = least(total, done + ${units}), cursor = ${cursor} WHERE job_id = ${jobId} AND status = 'running'`
  },
  async finish(tx: TransactionSQL, jobId: string, at: string) {
    await tx`UPDATE jobs SET status = 'done', done = total, cursor = NULL, finished_at = ${at}, lease_until = NULL
      WHERE job_id = ${jobId} AND status = 'running'`
  },
}

export function createJobStore(sql: SQL) {
  return {
    get: async (jobId: string) => job(first<JobRow>(await sql`SELECT * FROM jobs WHERE job_id = ${jobId}`)),
    create: (j: NewJob) => jobSteps.insert(sql, j),
    /**
     * Running jobs, oldest first, that no live instance holds: each is leased to the caller until
     * now + leaseMs (SKIP LOCKED: two instances claiming at once take different jobs).
     */
    async claim(now: number, leaseMs: number, limit: number): Promise<JobRow[]> {
      const rows = all<JobRow>(await sql`
        UPDATE jobs SET lease_until = ${now + leaseMs}
        WHERE job_id IN (SELECT job_id FROM jobs WHERE status = 'running' AND (lease_until IS NULL OR lease_until < ${now})
                         ORDER BY created_at, job_id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
        RETURNING *`)
      return rows.map((r) => job(r)!).sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.job_id < b.job_id ? -1 : 1))
    },
    renew: async (jobId: string, until: number) =>
      (await sql`UPDATE jobs SET lease_until = ${until} WHERE job_id = ${jobId} AND status = 'running'`).count > 0,
    fail: async (jobId: string, error: string, at: string) =>
      (await sql`UPDATE jobs SET status = 'failed', error = ${error}, finished_at = ${at}, lease_until = NULL
        WHERE job_id = ${jobId} AND status = 'running'`).count > 0,
  }
}
