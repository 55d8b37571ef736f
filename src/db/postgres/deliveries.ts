// The HTTP outbox (PostgreSQL): enqueue, leased due reads for N instances, attempt results, cleanup.

import type { SQL } from 'bun'
import type { DeliveryRow, NewDelivery } from '../rows'
import { all, first, numbers } from './rows'

/** Every column but lease_until, so rows equal the SQLite store's. */
const COLUMNS = 'delivery_id, tenant_id, kind, url, event_id, ref_id, body, attempts, next_attempt_at, state, last_error, created_at, last_attempt_at'
const toDelivery = (r: DeliveryRow) => numbers(r, 'next_attempt_at')

/** How long a leased row belongs to the instance that read it: over the 10 s attempt timeout plus result batching. */
export const DEFAULT_LEASE_MS = 60_000

function counts(sql: SQL) {
  return {
    pendingCount: async () => Number((await sql`SELECT count(*) AS n FROM deliveries WHERE state = 'pending'`)[0].n),
    /**
     * When the earliest pending row is due (epoch ms), or null when none is pending. A leased row
     * counts from when its lease ends (before that no instance may take it).
     */
    nextDueAt: async () => {
      const [r] = await sql`SELECT min(greatest(next_attempt_at, coalesce(lease_until, 0))) AS at FROM deliveries WHERE state = 'pending'`
      return r.at === null ? null : Number(r.at)
    },
  }
}

/**
 * The delivery worker's reader with N instances. `due` LEASES the rows it returns to this instance
 * until `now + leaseMs`: it picks pending, due, unleased (or lease-expired) rows with FOR UPDATE
 * SKIP LOCKED (rows another instance is leasing at this moment are skipped, not waited for) and
 * sets lease_until in the same statement. So a row is attempted by one instance at a time, and a
 * row whose instance died is due again once its lease expires (never lost: at least once, same
 * webhook-id). An attempt result (markDelivered, markFailed, postpone, requeue) clears the lease.
 */
export function createPgDeliveryReader(sql: SQL, opts: { leaseMs?: number } = {}) {
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS
  return {
    /** Pending rows due by `now`, oldest first, except those for `skipUrls`; each leased to the caller. */
    async due(now: number, limit: number, skipUrls: string[] = []): Promise<DeliveryRow[]> {
      const rows = await sql.unsafe(
        `WITH picked AS (
           SELECT delivery_id FROM deliveries
           WHERE state = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
             AND url <> ALL($2::text[])
           ORDER BY next_attempt_at LIMIT $3
           FOR UPDATE SKIP LOCKED
         )
         UPDATE deliveries d SET lease_until = $4 FROM picked WHERE d.delivery_id = picked.delivery_id
         RETURNING ${COLUMNS.split(', ').map((c) => `d.${c}`).join(', ')}`,
        [now, skipUrls, limit, now + leaseMs],
      )
      return all<DeliveryRow>(rows)
        .map(toDelivery)
        .sort((a, b) => a.next_attempt_at - b.next_attempt_at || (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0))
    },
    ...counts(sql),
  }
}

export function createDeliveryStore(sql: SQL) {
  return {
    /**
     * Pending rows due by `now`, oldest first, except those for `skipUrls` and rows leased to an
     * instance right now: a plain read with the SQLite store's meaning (it leases nothing). Workers
     * use createPgDeliveryReader().due, which leases.
     */
    async due(now: number, limit: number, skipUrls: string[] = []): Promise<DeliveryRow[]> {
      const rows = await sql.unsafe(
        `SELECT ${COLUMNS} FROM deliveries
         WHERE state = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1) AND url <> ALL($2::text[])
         ORDER BY next_attempt_at, created_at LIMIT $3`,
        [now, skipUrls, limit],
      )
      return all<DeliveryRow>(rows).map(toDelivery)
    },
    ...counts(sql),

    /** Enqueues many deliveries in one statement (atomic: all or none). */
    async enqueue(rows: NewDelivery[]): Promise<void> {
      if (!rows.length) return
      await sql`INSERT INTO deliveries ${sql(
        rows,
        'delivery_id',
        'tenant_id',
        'kind',
        'url',
        'event_id',
        'ref_id',
        'body',
        'next_attempt_at',
        'created_at',
      )}`
    },
    /**
     * The SQLite store's unit of one commit for a batch of attempt results. Here it simply runs
     * `fn`: every store operation it calls is atomic on its own (one statement or one transaction),
     * and a result that is lost halfway only means that call is made again (at least once, same
     * webhook-id). `relaxed` has no meaning on PostgreSQL (no per-commit fsync trade-off here).
     */
    async atomically<T>(fn: () => T | Promise<T>, _opts: { relaxed?: boolean } = {}): Promise<T> {
      return await fn()
    },
    get: async (id: string) => {
      const r = first<DeliveryRow>(await sql.unsafe(`SELECT ${COLUMNS} FROM deliveries WHERE delivery_id = $1`, [id]))
      return r && toDelivery(r)
    },
    markDelivered: async (id: string, at: string) =>
      (
        await sql`UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, last_error = NULL, last_attempt_at = ${at}, lease_until = NULL
          WHERE delivery_id = ${id} AND state = 'pending'`
      ).count > 0,
    /** Records a failed attempt and schedules the next; returns the row after the update (or null). */
    markFailed: async (id: string, error: string, at: string, nextAt: number) => {
      const r = first<DeliveryRow>(
        await sql.unsafe(
          `UPDATE deliveries SET attempts = attempts + 1, last_error = $1, last_attempt_at = $2, next_attempt_at = $3, lease_until = NULL
           WHERE delivery_id = $4 AND state = 'pending' RETURNING ${COLUMNS}`,
          [error, at, nextAt, id],
        ),
      )
      return r && toDelivery(r)
    },
    /** An attempt skipped by an open circuit: does not count, just waits (SPEC §6). */
    postpone: async (id: string, nextAt: number) =>
      void (await sql`UPDATE deliveries SET next_attempt_at = ${nextAt}, lease_until = NULL WHERE delivery_id = ${id} AND state = 'pending'`),
    markDead: async (id: string) => void (await sql`UPDATE deliveries SET state = 'dead', lease_until = NULL WHERE delivery_id = ${id}`),
    /** Deletes a dead row (its dead letter was deleted: nothing can retry it any more). */
    deleteDead: async (id: string) => void (await sql`DELETE FROM deliveries WHERE delivery_id = ${id} AND state = 'dead'`),
    requeue: async (id: string, now: number) =>
      (await sql`UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = ${now}, lease_until = NULL WHERE delivery_id = ${id}`)
        .count > 0,
    /** Deletes delivered rows created before `beforeIso`; returns how many. */
    cleanupDelivered: async (beforeIso: string) =>
      (await sql`DELETE FROM deliveries WHERE state = 'delivered' AND created_at < ${beforeIso}`).count,
  }
}
