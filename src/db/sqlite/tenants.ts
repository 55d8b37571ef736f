// Tenant rows: creation, lookup by key hash, config and secret updates, usage figures.

import type { Database } from 'bun:sqlite'
import type { SecretColumn, TenantRow } from '../rows'

export function createTenantStore(db: Database) {
  const insert = db.query(
    `INSERT INTO tenants (tenant_id, name, api_key_hash, webhook_secret, user_token_secret, config, created_at)
     VALUES ($tenant_id, $name, $api_key_hash, $webhook_secret, $user_token_secret, $config, $created_at)`,
  )
  const byId = db.query<TenantRow, [string]>('SELECT * FROM tenants WHERE tenant_id = ?')
  const byKey = db.query<TenantRow, [string]>('SELECT * FROM tenants WHERE api_key_hash = ?')
  const all = db.query<TenantRow, []>('SELECT * FROM tenants ORDER BY created_at, tenant_id')
  const usage = db.query<{ rooms: number; messages: number }, [string]>(
    `SELECT count(*) AS rooms, coalesce(sum(last_seq), 0) AS messages FROM rooms WHERE tenant_id = ?`,
  )
  return {
    insert(row: TenantRow): void {
      insert.run(row as unknown as Record<string, string>)
    },
    get: (tenantId: string) => byId.get(tenantId),
    byKeyHash: (hash: string) => byKey.get(hash),
    list: () => all.all(),
    /** Updates name and/or the whole config JSON; returns the new row or null when absent. */
    update(tenantId: string, patch: { name?: string; config?: string }): TenantRow | null {
      db.query('UPDATE tenants SET name = coalesce(?, name), config = coalesce(?, config) WHERE tenant_id = ?').run(
        patch.name ?? null,
        patch.config ?? null,
        tenantId,
      )
      return byId.get(tenantId)
    },
    /** Replaces one secret column; the old value stops matching at once. */
    setSecret(tenantId: string, column: SecretColumn, value: string): boolean {
      return db.query(`UPDATE tenants SET ${column} = ? WHERE tenant_id = ?`).run(value, tenantId).changes === 1
    },
    usage: (tenantId: string) => usage.get(tenantId) ?? { rooms: 0, messages: 0 },
  }
}
