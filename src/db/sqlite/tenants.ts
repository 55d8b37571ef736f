// Tenant rows: creation, lookup by key hash, config and secret updates, usage figures, deletion.

import type { Database } from 'bun:sqlite'
import { decodeOrdCursor, ordPage, type WithOrd } from '../cursor'
import type { NewJob } from '../lifecycle'
import { TENANT_COLUMNS, type SecretColumn, type TenantRow } from '../rows'
import { jobWriters } from './jobs'

export function createTenantStore(db: Database) {
  const insert = db.query(
    `INSERT INTO tenants (tenant_id, name, api_key_hash, webhook_secret, user_token_secret, config, created_at)
     VALUES ($tenant_id, $name, $api_key_hash, $webhook_secret, $user_token_secret, $config, $created_at)`,
  )
  const byId = db.query<TenantRow, [string]>(`SELECT ${TENANT_COLUMNS} FROM tenants WHERE tenant_id = ? AND deleted_at IS NULL`)
  const byKey = db.query<TenantRow, [string]>(`SELECT ${TENANT_COLUMNS} FROM tenants WHERE api_key_hash = ? AND deleted_at IS NULL`)
  // Oldest first; tenants of one millisecond in the order they were made (rowid, migration 0009).
  const all = db.query<TenantRow, []>(`SELECT ${TENANT_COLUMNS} FROM tenants WHERE deleted_at IS NULL ORDER BY created_at, rowid`)
  const pageFirst = db.query<WithOrd<TenantRow>, [number]>(
    `SELECT ${TENANT_COLUMNS}, rowid AS ord FROM tenants WHERE deleted_at IS NULL ORDER BY created_at, rowid LIMIT ?`,
  )
  const pageNext = db.query<WithOrd<TenantRow>, [string, string, number, number]>(
    `SELECT ${TENANT_COLUMNS}, rowid AS ord FROM tenants WHERE deleted_at IS NULL AND (created_at > ? OR (created_at = ? AND rowid > ?))
     ORDER BY created_at, rowid LIMIT ?`,
  )
  // Stored messages: retention (SPEC §15) removed those below each room's first_seq.
  const usage = db.query<{ rooms: number; messages: number }, [string]>(
    `SELECT count(*) AS rooms, coalesce(sum(max(0, last_seq - first_seq + 1)), 0) AS messages FROM rooms WHERE tenant_id = ? AND deleted_at IS NULL`,
  )
  const markDeleted = db.query('UPDATE tenants SET deleted_at = ? WHERE tenant_id = ? AND deleted_at IS NULL')
  const stored = db.query<{ n: number }, [string]>(
    'SELECT coalesce(sum(max(0, last_seq - first_seq + 1)), 0) + count(*) AS n FROM rooms WHERE tenant_id = ?',
  )
  const jobs = jobWriters(db)
  return {
    insert(row: TenantRow): void {
      insert.run(row as unknown as Record<string, string>)
    },
    get: (tenantId: string) => byId.get(tenantId),
    byKeyHash: (hash: string) => byKey.get(hash),
    list: () => all.all(),
    /** Tenants oldest first, `limit` per page (GET /v1/admin/tenants). */
    page(limit: number, cursor?: string) {
      if (!cursor) return ordPage(pageFirst.all(limit + 1), limit)
      const { at, ord } = decodeOrdCursor(cursor)
      return ordPage(pageNext.all(at, at, ord, limit + 1), limit)
    },
    /** Updates name and/or the whole config JSON; returns the new row or null when absent. */
    update(tenantId: string, patch: { name?: string; config?: string }): TenantRow | null {
      db.query('UPDATE tenants SET name = coalesce(?, name), config = coalesce(?, config) WHERE tenant_id = ? AND deleted_at IS NULL').run(
        patch.name ?? null,
        patch.config ?? null,
        tenantId,
      )
      return byId.get(tenantId)
    },
    /** Replaces one secret column; the old value stops matching at once. */
    setSecret(tenantId: string, column: SecretColumn, value: string): boolean {
      return db.query(`UPDATE tenants SET ${column} = ? WHERE tenant_id = ? AND deleted_at IS NULL`).run(value, tenantId).changes === 1
    },
    usage: (tenantId: string) => usage.get(tenantId) ?? { rooms: 0, messages: 0 },
    /**
     * Deletes a tenant (SPEC §15): from this commit on its key, tokens and id are not found, and the
     * `tenant.delete` job that removes its rows is recorded in the same immediate transaction (total:
     * its stored messages plus its rooms). False when there is no such tenant (or it is deleted already).
     */
    markDeleted(tenantId: string, at: string, job: Omit<NewJob, 'total'>): boolean {
      return db.transaction(() => {
        if (markDeleted.run(at, tenantId).changes !== 1) return false
        jobs.insert({ ...job, total: stored.get(tenantId)?.n ?? 0 })
        return true
      }).immediate()
    },
  }
}
