// The HTTP outbox (webhooks and subscription endpoints): enqueue, due reads, attempt results, cleanup.

import type { Database } from 'bun:sqlite'
import type { DeliveryRow, NewDelivery } from '../rows'

/** Reads only: safe on a worker's own read connection. */
export function createDeliveryReader(db: Database) {
  const due = db.query<DeliveryRow, [number, string, number]>(
    `SELECT * FROM deliveries WHERE state = 'pending' AND next_attempt_at <= ?
     AND url NOT IN (SELECT value FROM json_each(?)) ORDER BY next_attempt_at LIMIT ?`,
  )
  const depth = db.query<{ n: number }, []>("SELECT count(*) AS n FROM deliveries WHERE state = 'pending'")
  const nextDue = db.query<{ at: number | null }, []>("SELECT min(next_attempt_at) AS at FROM deliveries WHERE state = 'pending'")
  return {
    /** Pending rows due by `now`, oldest first, except those for `skipUrls` (endpoints already busy enough). */
    due: (now: number, limit: number, skipUrls: string[] = []) => due.all(now, JSON.stringify(skipUrls), limit),
    pendingCount: () => depth.get()?.n ?? 0,
    /** When the earliest pending row is due (epoch ms), or null when none is pending. */
    nextDueAt: () => nextDue.get()?.at ?? null,
  }
}

export function createDeliveryStore(db: Database) {
  const insert = db.query(
    `INSERT INTO deliveries (delivery_id, tenant_id, kind, url, event_id, ref_id, body, next_attempt_at, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const get = db.query<DeliveryRow, [string]>('SELECT * FROM deliveries WHERE delivery_id = ?')
  const syncLevel = db.query<{ synchronous: number }, []>('PRAGMA synchronous')
  const delivered = db.query(
    "UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, last_error = NULL, last_attempt_at = ? WHERE delivery_id = ? AND state = 'pending'",
  )
  const failed = db.query<DeliveryRow, [string, string, number, string]>(
    `UPDATE deliveries SET attempts = attempts + 1, last_error = ?, last_attempt_at = ?, next_attempt_at = ?
     WHERE delivery_id = ? AND state = 'pending' RETURNING *`,
  )
  const postpone = db.query("UPDATE deliveries SET next_attempt_at = ? WHERE delivery_id = ? AND state = 'pending'")
  const dead = db.query("UPDATE deliveries SET state = 'dead' WHERE delivery_id = ?")
  const dropDead = db.query("DELETE FROM deliveries WHERE delivery_id = ? AND state = 'dead'")
  const requeue = db.query("UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = ? WHERE delivery_id = ?")
  const cleanup = db.query("DELETE FROM deliveries WHERE state = 'delivered' AND created_at < ?")
  return {
    ...createDeliveryReader(db),
    /** Enqueues many deliveries in one immediate transaction (a group commit of the outbox). */
    enqueue(rows: NewDelivery[]): void {
      db.transaction(() => {
        for (const r of rows) insert.run(r.delivery_id, r.tenant_id, r.kind, r.url, r.event_id, r.ref_id, r.body, r.next_attempt_at, r.created_at)
      }).immediate()
    },
    /**
     * Runs `fn` (synchronous store calls on this connection only) as one immediate transaction, so
     * a batch of attempt results shares one commit; nested transactions become savepoints. Not
     * inside another transaction. `relaxed`: the commit does not wait for fsync (synchronous=NORMAL
     * for this one transaction; WAL mode keeps it ordered, and the next FULL commit syncs it too) —
     * only for writes that are safe to lose in a power cut, such as attempt results (a lost result
     * means the call is made again: at least once, same webhook-id).
     */
    atomically<T>(fn: () => T, opts: { relaxed?: boolean } = {}): T {
      const level = opts.relaxed ? syncLevel.get()!.synchronous : 0
      if (level <= 1) return db.transaction(fn).immediate() // not relaxed, or already NORMAL/OFF
      db.exec('PRAGMA synchronous = NORMAL')
      try {
        return db.transaction(fn).immediate()
      } finally {
        db.exec(`PRAGMA synchronous = ${level}`)
      }
    },
    get: (id: string) => get.get(id),
    markDelivered: (id: string, at: string) => delivered.run(at, id).changes > 0,
    /** Records a failed attempt and schedules the next; returns the row after the update (or null). */
    markFailed: (id: string, error: string, at: string, nextAt: number) => failed.get(error, at, nextAt, id) ?? null,
    /** An attempt skipped by an open circuit: does not count, just waits (SPEC §6). */
    postpone: (id: string, nextAt: number) => void postpone.run(nextAt, id),
    markDead: (id: string) => void dead.run(id),
    /** Deletes a dead row (its dead letter was deleted: nothing can retry it any more). */
    deleteDead: (id: string) => void dropDead.run(id),
    requeue: (id: string, now: number) => requeue.run(now, id).changes > 0,
    /** Deletes delivered rows created before `beforeIso`; returns how many. */
    cleanupDelivered: (beforeIso: string) => cleanup.run(beforeIso).changes,
  }
}
