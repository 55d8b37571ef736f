// The data lifecycle requests (SPEC §15): delete a room, erase a user, delete a tenant, read jobs.
// Each records its effect and its job in one store step and answers at once; the rows go in the
// background (workers/lifecycle-loop.ts), and a job outlives a restart.

import { isoNow, type Clock } from '../clock'
import type { Store } from '../db/types'
import type { JobRow } from '../db/lifecycle'
import { toRoom } from '../db/rows'
import { forbidden, invalid, notFound } from '../errors'
import { newId } from '../ids'
import { USER_ID_PATTERN } from '../schemas/common'
import type { Job } from '../schemas/lifecycle'
import { roomFor, type MemberCache } from './access'
import type { Actor, AppCaller } from './actor'
import type { EventBus } from './events'
import type { AuditLog } from './audit'
import type { TenantService } from './tenant'

type Deps = {
  store: Store
  clock: Clock
  events: Pick<EventBus, 'emit'>
  tenants: TenantService
  memberships: Pick<MemberCache, 'forgetRoom'>
  /** Who deleted which room or asked for which erasure, with the job (the operator's proof). */
  audit: Pick<AuditLog, 'record'>
  /** Tells the lifecycle runner a job is waiting. */
  wake: () => void
}

const USER_ID = new RegExp(USER_ID_PATTERN)

export const toJob = (r: JobRow): Job => ({
  job_id: r.job_id,
  kind: r.kind,
  status: r.status,
  progress: { done: r.done, total: r.total },
  error: r.error,
  created_at: r.created_at,
  finished_at: r.finished_at,
})

/** SPEC §15 "API key only": a user token may not act for the parent app. */
export function keyOnly(caller: AppCaller, what: string) {
  if (caller.via !== 'key') throw forbidden(`${what} needs the API key (a user token may not do this)`)
}

/** A user id in a path (SPEC §1 pattern), else 400 on `user_id`. */
export function checkUserId(userId: string) {
  if (!USER_ID.test(userId)) throw invalid('user_id', 'user_id must be 1-128 characters of [A-Za-z0-9._:@-], not dots alone')
}

export function createLifecycleService({ store, clock, events, tenants, memberships, audit, wake }: Deps) {
  return {
    /**
     * DELETE /v1/rooms/{room_id}: the owner of a group or channel (a dm → 403; see roomFor for
     * 404/403 of non-members). Gone for everyone at once; members hear `room.deleted`.
     */
    async deleteRoom(actor: Actor, roomId: string): Promise<void> {
      const { room, member } = await roomFor(store, actor, roomId, 'member')
      if (room.type === 'dm') throw forbidden('a dm cannot be deleted')
      if (member?.role !== 'owner') throw forbidden('only the owner deletes a room')
      const tid = actor.tenant.tenant_id
      const at = isoNow(clock)
      const jobId = newId('job')
      const was = await store.rooms.markDeleted(tid, roomId, at, { job_id: jobId, tenant_id: tid, kind: 'room.delete', target: roomId, created_at: at })
      if (!was) throw notFound('room') // deleted meanwhile
      memberships.forgetRoom(roomId)
      events.emit({ type: 'room.deleted', tenantId: tid, room: toRoom(was) })
      wake()
      await audit.record({ tenant_id: tid, actor: actor.userId, action: 'room.delete', target: roomId, data: { job_id: jobId } })
    },

    /** POST /v1/users/{user_id}/erase: API key only; 202 with the job that does it. */
    async eraseUser(caller: AppCaller, userId: string): Promise<{ job_id: string }> {
      keyOnly(caller, 'erasing a user')
      checkUserId(userId)
      const tid = caller.tenant.tenant_id
      const job = { job_id: newId('job'), tenant_id: tid, kind: 'user.erase' as const, target: userId, created_at: isoNow(clock) }
      await store.erase.begin(job)
      wake()
      await audit.record({ tenant_id: tid, actor: 'api_key', action: 'user.erase', target: userId, data: { job_id: job.job_id } })
      return { job_id: job.job_id }
    },

    /** DELETE /v1/admin/tenants/{tenant_id}: keys, tokens and sockets dead before this answers. */
    async deleteTenant(tenantId: string): Promise<{ job_id: string }> {
      const r = await tenants.remove(tenantId)
      wake()
      return r
    },

    /** GET /v1/jobs/{job_id}: the API key's own tenant's jobs only (another tenant's: 404). */
    async job(caller: AppCaller, jobId: string): Promise<Job> {
      keyOnly(caller, 'reading a job')
      const row = await store.jobs.get(jobId)
      if (!row || row.tenant_id !== caller.tenant.tenant_id) throw notFound('job')
      return toJob(row)
    },

    /** GET /v1/admin/jobs/{job_id}: any job. */
    async adminJob(jobId: string): Promise<Job> {
      const row = await store.jobs.get(jobId)
      if (!row) throw notFound('job')
      return toJob(row)
    },
  }
}

export type LifecycleService = ReturnType<typeof createLifecycleService>
