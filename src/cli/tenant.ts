// `chatapi tenant create --name NAME`: create a tenant through the tenant service; prints secrets once.

import { systemClock } from '../clock'
import type { Config } from '../config'
import { openSqlite } from '../db/open'
import { runMigrations } from '../db/migrate'
import { sqliteMigrations } from '../db/migrations'
import { createSqliteStore } from '../db/sqlite'
import { createTenantService } from '../services/tenant'

export async function tenantCreate(config: Config, name: string, out: (line: string) => void): Promise<number> {
  const db = openSqlite(config.databasePath, { synchronous: config.SQLITE_SYNCHRONOUS })
  try {
    runMigrations(db, sqliteMigrations)
    const tenants = createTenantService({ store: createSqliteStore(db), clock: systemClock, config })
    out(JSON.stringify(await tenants.create(name), null, 2))
    return 0
  } finally {
    db.close()
  }
}
