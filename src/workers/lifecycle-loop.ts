// The data lifecycle loop (SPEC §15): runs the steps of background jobs (room deletes, user
// erasures, tenant deletes) and the retention passes, one bounded unit of work per tick. Tests call
// tick() directly; workers/lifecycle-runner.ts paces it on the main thread.

import { isoNow, type Clock } from '../clock'
import type { Store } from '../db/types'
import type { JobRow } from '../db/lifecycle'
import { toMessage } from '../db/rows'
import type { Logger } from '../log'
import type { MemberCache } from '../services/access'
import { changeEvent, type EventBus } from '../services/events'
import type { EffectiveConfig } from '../services/tenant'

export interface LifecycleSettings {
  /** Rows one step may remove or change: one transaction each (deletes in bounded batches). */
  batch: number
  /** How long this instance holds a job it runs (PostgreSQL leases); renewed every third of it. */
  leaseMs: number
  /** How often a retention pass over every tenant with retention_days starts. */
  retentionEveryMs: number
}

export const LIFECYCLE_DEFAULTS: LifecycleSettings = { batch: 500, leaseMs: 15_000, retentionEveryMs: 60_000 }

export interface LifecycleLoopDeps {
  store: Store
  clock: Clock
  log: Logger
  /** What a step changed goes out as domain events (frames, webhooks) after its commit. */
  events: Pick<EventBus, 'emit'>
  memberships: Pick<MemberCache, 'evict'>
  /** A stored tenant config with its defaults (retention_days). */
  effective(stored: object): EffectiveConfig
  /**
   * Called after a unit that wrote rows (at most every AFTER_WRITE_MS): SQLite wakes its checkpoint
   * worker, so the WAL a mass delete writes is copied back off this thread (db/sqlite/relaxed.ts).
   */
  afterWrite?: () => void
  settings: LifecycleSettings
}

const DAY_MS = 86_400_000
/** A job whose steps fail this many times in a row is marked failed (its error says why). */
const MAX_FAILURES = 10
const TENANTS_PER_READ = 100
const ROOMS_PER_READ = 200
const AFTER_WRITE_MS = 50

/**
 * Policy, in one place:
 * - Jobs first: one step of one running job per tick, round robin over the jobs this instance holds
 *   (claimed from the jobs table; a job outlives a restart because it is a row, and each step moves
 *   its progress in its own transaction). Retention runs when no job step is due.
 * - Retention: every retentionEveryMs a pass walks the tenants with retention_days, their rooms in
 *   id order, and trims each room's old prefix `batch` rows at a time. A room with nothing old costs
 *   one read of its oldest message.
 * - Every unit is bounded (at most `batch` rows written, a page of rooms or tenants read), so the
 *   runner can give the event loop back between any two of them.
 */
export function createLifecycleLoop(d: LifecycleLoopDeps) {
  const { store, clock, log, events, settings } = d
  const held = new Map<string, JobRow>()
  const failures = new Map<string, number>()
  let lastClaim = Number.NEGATIVE_INFINITY
  let claimNow = true
  let turn = 0
  let pass: AsyncGenerator<number> | null = null
  let nextPassAt = 0
  /** A tenant's config changed during a pass (which may have walked past it): another pass follows at once. */
  let passAgain = false
  let lastAfterWrite = 0
  const wrote = () => {
    const now = performance.now()
    if (now - lastAfterWrite < AFTER_WRITE_MS) return
    lastAfterWrite = now
    d.afterWrite?.()
  }

  async function claim(now: number) {
    if (!claimNow && now - lastClaim < settings.leaseMs / 3) return
    claimNow = false
    lastClaim = now
    for (const id of [...held.keys()]) if (!(await store.jobs.renew(id, now + settings.leaseMs))) held.delete(id)
    for (const j of await store.jobs.claim(now, settings.leaseMs, 16)) held.set(j.job_id, j)
  }

  /** One step of a job: whether it is over, and how many rows it wrote. */
  async function step(job: JobRow): Promise<{ over: boolean; rows: number }> {
    const at = isoNow(clock)
    const tid = job.tenant_id
    if (job.kind === 'room.delete') {
      const r = await store.purge.roomStep(job.job_id, job.target, settings.batch, at)
      for (const u of r.members) d.memberships.evict(job.target, u)
      if (r.members.length) events.emit({ type: 'room.purged', tenantId: tid, roomId: job.target, userIds: r.members })
      return { over: r.over, rows: r.removed }
    }
    if (job.kind === 'tenant.delete') {
      const r = await store.purge.tenantStep(job.job_id, job.target, settings.batch, at)
      return { over: r.over, rows: r.removed }
    }
    const r = await store.erase.step(job.job_id, tid, job.target, settings.batch, at)
    for (const l of r.left) {
      d.memberships.evict(l.room_id, job.target)
      // As a leave: the room hears it (the leaver too, while still subscribed), then the sockets go.
      events.emit({ type: 'member.removed', tenantId: tid, roomId: l.room_id, userId: job.target, role: l.role })
    }
    // As a delete (§4) and as a reaction removal (§11): live clients drop what they hold, the
    // parent app hears of each (message.deleted; message.updated with reaction.removed).
    for (const m of r.deleted) events.emit(changeEvent(tid, toMessage(m), { kind: 'deleted', user_id: job.target }))
    for (const u of r.updated) events.emit(changeEvent(tid, toMessage(u.row), u.change))
    if (r.finished) events.emit({ type: 'user.erased', tenantId: tid, userId: job.target, jobId: job.job_id })
    return { over: r.over, rows: r.left.length + r.deleted.length + r.updated.length }
  }

  async function runJob(job: JobRow): Promise<number> {
    try {
      const r = await step(job)
      if (r.rows) wrote()
      failures.delete(job.job_id)
      if (r.over) held.delete(job.job_id)
      return r.rows
    } catch (e) {
      const n = (failures.get(job.job_id) ?? 0) + 1
      failures.set(job.job_id, n)
      if (n >= MAX_FAILURES) {
        const code = (e as { code?: string }).code ?? (e as Error).message ?? 'STEP_FAILED'
        log.error('job failed', { job_id: job.job_id, kind: job.kind, error: e })
        await store.jobs.fail(job.job_id, `step failed ${n} times in a row: ${code}`, isoNow(clock))
        held.delete(job.job_id)
        failures.delete(job.job_id)
      }
      throw e
    }
  }

  /** One retention pass, one bounded unit per iteration (yielding the rows it removed). */
  async function* retention(): AsyncGenerator<number> {
    let cursor: string | undefined
    do {
      const page = await store.tenants.page(TENANTS_PER_READ, cursor)
      yield 0
      for (const t of page.rows) {
        const days = d.effective(JSON.parse(t.config)).retention_days
        if (!days) continue
        const cutoff = new Date(clock.now() - days * DAY_MS).toISOString()
        for (let after: string | null = null; ; ) {
          const rooms = await store.purge.retentionRooms(t.tenant_id, after, ROOMS_PER_READ)
          yield 0
          for (const room of rooms) {
            for (;;) {
              const r = await store.purge.expire(room.room_id, cutoff, settings.batch, isoNow(clock))
              if (r.removed) wrote()
              yield r.removed
              if (r.removed < settings.batch) break
            }
          }
          if (rooms.length < ROOMS_PER_READ) break
          after = rooms[rooms.length - 1].room_id
        }
      }
      cursor = page.next_cursor ?? undefined
    } while (cursor)
  }

  return {
    /** A job was just created (or may be waiting): claim at the next tick instead of at the next lease renewal. */
    wake() {
      claimNow = true
    },

    /** A tenant's retention_days may have changed: start a pass now (or right after the one running). */
    retentionChanged() {
      nextPassAt = 0
      if (pass) passAgain = true
    },

    /**
     * One bounded unit of work: a step of a job, or a step of the retention pass. Resolves to the
     * rows it wrote (0 for a unit that only read; more may follow at once), or false when there was
     * nothing to do now. Throws what a step threw (the runner backs off); a job failing
     * MAX_FAILURES times in a row is failed.
     */
    async tick(): Promise<number | false> {
      const now = clock.now()
      await claim(now)
      const jobs = [...held.values()]
      if (jobs.length) {
        return runJob(jobs[turn++ % jobs.length])
      }
      if (!pass && now >= nextPassAt) pass = retention()
      if (!pass) return false
      let r: IteratorResult<number>
      try {
        r = await pass.next()
      } catch (e) {
        pass = null // a generator that threw is finished: the next pass starts over a little later
        nextPassAt = clock.now() + Math.min(settings.retentionEveryMs, 5000)
        throw e
      }
      if (r.done) {
        pass = null
        nextPassAt = passAgain ? 0 : clock.now() + settings.retentionEveryMs
        passAgain = false
      }
      return r.done ? false : r.value
    },

    /** Jobs this instance runs now (health, tests). */
    held: () => [...held.keys()],
  }
}

export type LifecycleLoop = ReturnType<typeof createLifecycleLoop>
