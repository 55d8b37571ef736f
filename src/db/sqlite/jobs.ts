// Job rows (SPEC §15): background room deletes, user erasures and tenant deletes, persisted so that
// a restarted server resumes them. Their steps live in purge.ts and erase.ts: each step removes a
// bounded batch AND moves the job's progress and cursor in the same transaction.

import type { Database } from 'bun:sqlite'
import type { JobRow, JobStatus, NewJob } from '../lifecycle'

/** Shared by the steps: the progress and end of a job, written inside the step's own transaction. */
export function jobWriters(db: Database) {
  const insert = db.query(
    `INSERT INTO jobs (job_id, tenant_id, kind, target, status, done, total, cursor, created_at)
     VALUES (?, ?, ?, ?, 'running', 0, ?, NULL, ?)`,
  )
  const advance = db.query(
    "UPDATE jobs SET done = min(total, done + ?), cursor = ? WHERE job_id = ? AND status = 'running'",
  )
  const finish = db.query("UPDATE jobs SET status = 'done', done = total, cursor = NULL, finished_at = ?, lease_until = NULL WHERE job_id = ? AND status = 'running'")
  const status = db.query<{ status: JobStatus; cursor: string | null }, [string]>('SELECT status, cursor FROM jobs WHERE job_id = ?')
  return {
    insert(j: NewJob): void {
      insert.run(j.job_id, j.tenant_id, j.kind, j.target, j.total, j.created_at)
    },
    advance: (jobId: string, units: number, cursor: string | null = null) => void advance.run(units, cursor, jobId),
    finish: (jobId: string, at: string) => void finish.run(at, jobId),
    /** The job's status and cursor, or null when it does not exist. */
    state: (jobId: string) => status.get(jobId) ?? null,
  }
}

export function createJobStore(db: Database) {
  const w = jobWriters(db)
  const get = db.query<JobRow, [string]>('SELECT * FROM jobs WHERE job_id = ?')
  const running = db.query<JobRow, [number]>("SELECT * FROM jobs WHERE status = 'running' ORDER BY created_at, job_id LIMIT ?")
  const renew = db.query("UPDATE jobs SET lease_until = ? WHERE job_id = ? AND status = 'running'")
  const fail = db.query("UPDATE jobs SET status = 'failed', error = ?, finished_at = ?, lease_until = NULL WHERE job_id = ? AND status = 'running'")
  return {
    get: (jobId: string) => get.get(jobId),
    /** Records a new running job (user erasure: nothing else changes at once). */
    create(job: NewJob): void {
      w.insert(job)
    },
    /**
     * Running jobs, oldest first, for this process to run. One process per SQLite file, so a lease
     * left by a process that died is simply taken over (PostgreSQL honours leases: db/postgres/jobs.ts).
     */
    claim: (_now: number, _leaseMs: number, limit: number) => running.all(limit),
    /** Extends this process's hold on a running job; false when it is not running any more. */
    renew: (jobId: string, until: number) => renew.run(until, jobId).changes > 0,
    /** Ends a running job as failed with a reason (an operator reads it in GET /v1/admin/jobs). */
    fail: (jobId: string, error: string, at: string) => fail.run(error, at, jobId).changes > 0,
  }
}
