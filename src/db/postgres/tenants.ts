// Tenant rows (PostgreSQL): creation, lookup by key hash, config and secret updates, usage figures.

import type { SQL } from 'bun'
import type { SecretColumn, TenantRow } from '../rows'
import { all, first } from './rows'

const SECRET_COLUMNS: readonly SecretColumn[] = ['api_key_hash', 'webhook_secret', 'user_token_secret']

export function createTenantStore(sql: SQL) {
  return {
    async insert(row: TenantRow): Promise<void> {
      await sql`INSERT INTO tenants (tenant_id, name, api_key_hash, webhook_secret, user_token_secret, config, created_at)
        VALUES (${row.tenant_id}, ${row.name}, ${row.api_key_hash}, ${row.webhook_secret}, ${row.user_token_secret}, ${row.config}, ${row.created_at})`
    },
    get: async (tenantId: string) => first<TenantRow>(await sql`SELECT * FROM tenants WHERE tenant_id = ${tenantId}`),
    byKeyHash: async (hash: string) => first<TenantRow>(await sql`SELECT * FROM tenants WHERE api_key_hash = ${hash}`),
    list: async () => all<TenantRow>(await sql`SELECT * FROM tenants ORDER BY created_at, tenant_id`),
    /** Updates name and/or the whole config JSON; returns the new row or null when absent. */
    async update(tenantId: string, patch: { name?: string; config?: string }): Promise<TenantRow | null> {
      return first<TenantRow>(
        await sql`UPDATE tenants SET name = coalesce(${patch.name ?? null}::text, name), config = coalesce(${patch.config ?? null}::text, config)
          WHERE tenant_id = ${tenantId} RETURNING *`,
      )
    },
    /** Replaces one secret column; the old value stops matching at once. */
    async setSecret(tenantId: string, column: SecretColumn, value: string): Promise<boolean> {
      if (!SECRET_COLUMNS.includes(column)) throw new Error(`not a secret column: ${column}`)
      const r = await sql.unsafe(`UPDATE tenants SET ${column} = $1 WHERE tenant_id = $2`, [value, tenantId])
      return r.count === 1
    },
    async usage(tenantId: string): Promise<{ rooms: number; messages: number }> {
      const [u] = await sql`SELECT count(*)::int8 AS rooms, coalesce(sum(last_seq), 0)::int8 AS messages FROM rooms WHERE tenant_id = ${tenantId}`
      return { rooms: Number(u.rooms), messages: Number(u.messages) }
    },
  }
}
