// Tenant rows (PostgreSQL): creation, lookup by key hash, config and secret updates, usage figures, deletion.

import type { SQL } from 'bun'
import { TENANT_COLUMNS, type SecretColumn, type TenantRow } from '../rows'
import type { NewJob } from '../lifecycle'
import { decodeOrdCursor, ordPage, type WithOrd } from '../cursor'
import { all, first } from './rows'

const SECRET_COLUMNS: readonly SecretColumn[] = ['api_key_hash', 'webhook_secret', 'user_token_secret']

export function createTenantStore(sql: SQL) {
  const cols = sql.unsafe(TENANT_COLUMNS)
  return {
    async insert(row: TenantRow): Promise<void> {
      await sql`INSERT INTO tenants (tenant_id, name, api_key_hash, webhook_secret, user_token_secret, config, created_at)
        VALUES (${row.tenant_id}, ${row.name}, ${row.api_key_hash}, ${row.webhook_secret}, ${row.user_token_secret}, ${row.config}, ${row.created_at})`
    },
    get: async (tenantId: string) => first<TenantRow>(await sql`SELECT ${cols} FROM tenants WHERE tenant_id = ${tenantId} AND deleted_at IS NULL`),
    byKeyHash: async (hash: string) => first<TenantRow>(await sql`SELECT ${cols} FROM tenants WHERE api_key_hash = ${hash} AND deleted_at IS NULL`),
    // Oldest first; tenants of one millisecond in the order they were made (ord, migration 0009).
    list: async () => all<TenantRow>(await sql`SELECT ${cols} FROM tenants WHERE deleted_at IS NULL ORDER BY created_at, ord`),
    /** Tenants oldest first, `limit` per page (GET /v1/admin/tenants). */
    async page(limit: number, cursor?: string) {
      const after = cursor ? decodeOrdCursor(cursor) : null
      const rows = all<WithOrd<TenantRow>>(await sql`
        SELECT ${cols}, ord FROM tenants WHERE deleted_at IS NULL
        ${after ? sql`AND (created_at > ${after.at} OR (created_at = ${after.at} AND ord > ${after.ord}))` : sql``}
        ORDER BY created_at, ord LIMIT ${limit + 1}`)
      return ordPage(rows, limit)
    },
    /** Updates name and/or the whole config JSON; returns the new row or null when absent. */
    async update(tenantId: string, patch: { name?: string; config?: string }): Promise<TenantRow | null> {
      return first<TenantRow>(
        await sql`UPDATE tenants SET name = coalesce(${patch.name ?? null}::text, name), config = coalesce(${patch.config ?? null}::text, config)
          WHERE tenant_id = ${tenantId} AND deleted_at IS NULL RETURNING ${cols}`,
      )
    },
    /** Replaces one secret column; the old value stops matching at once. */
    async setSecret(tenantId: string, column: SecretColumn, value: string): Promise<boolean> {
      if (!SECRET_COLUMNS.includes(column)) throw new Error(`not a secret column: ${column}`)
      const r = await sql.unsafe(`UPDATE tenants SET ${column} = $1 WHERE tenant_id = $2 AND deleted_at IS NULL`, [value, tenantId])
      return r.count === 1
    },
    async usage(tenantId: string): Promise<{ rooms: number; messages: number }> {
      // Stored messages: retention (SPEC §15) removed those below each room's first_seq.
      const [u] = await sql`SELECT count(*)::int8 AS rooms, coalesce(sum(greatest(0, last_seq - first_seq + 1)), 0)::int8 AS messages
        FROM rooms WHERE tenant_id = ${tenantId} AND deleted_at IS NULL`
      return { rooms: Number(u.rooms), messages: Number(u.messages) }
    },
    /**
     * Deletes a tenant (SPEC §15): from this commit on its key, tokens and id are not found, and its
     * `tenant.delete` job is recorded in the same transaction (total: stored messages plus rooms).
     * False when there is no such tenant (or it is deleted already).
     */
    async markDeleted(tenantId: string, at: string, job: Omit<NewJob, 'total'>): Promise<boolean> {
      return sql.begin(async (tx) => {
        const d = await tx`UPDATE tenants SET deleted_at = ${at} WHERE tenant_id = ${tenantId} AND deleted_at IS NULL`
        if (d.count !== 1) return false
        const [{ n }] = await tx`SELECT (coalesce(sum(greatest(0, last_seq - first_seq + 1)), 0) + count(*))::int8 AS n FROM rooms WHERE tenant_id = ${tenantId}`
        await tx`INSERT INTO jobs (job_id, tenant_id, kind, target, status, done, total, created_at)
          VALUES (${job.job_id}, ${job.tenant_id}, ${job.kind}, ${job.target}, 'running', 0, ${Number(n)}, ${job.created_at})`
        return true
      })
    },
  }
}
