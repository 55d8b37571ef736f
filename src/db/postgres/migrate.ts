// Forward-only PostgreSQL migration runner shared by `serve` and `chatapi migrate` (ARCHITECTURE §6).

import type { SQL } from 'bun'
import { MigrationError } from '../migrate'
import type { Migration } from '../migrations'
import { postgresMigrations } from './migrations'

/**
 * Every step runs under a transaction-scoped advisory lock keyed by the schema, so N instances
 * starting together take turns: the first applies the migrations, the others then find nothing to
 * do. (CREATE TABLE IF NOT EXISTS alone is not safe against a concurrent creator.)
 */
const LOCK = (tx: SQL) => tx`SELECT pg_advisory_xact_lock(${0x43484154}::int4, hashtext(current_schema()))`

/**
 * Applies every migration newer than the database's version, each file with its bookkeeping row in
 * one transaction (PostgreSQL DDL is transactional). Refuses a database newer than this binary.
 * Returns the names applied by this call.
 */
export async function runPgMigrations(sql: SQL, list: Migration[] = postgresMigrations): Promise<string[]> {
  const known = list.length ? list[list.length - 1].version : 0
  const versionOf = async (tx: SQL) => {
    const [row] = await tx`SELECT coalesce(max(version), 0)::int AS v FROM schema_migrations`
    return row.v as number
  }
  const current = await sql.begin(async (tx) => {
    await LOCK(tx)
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`
    return versionOf(tx)
  })
  if (current > known) throw new MigrationError(`database schema version ${current} is newer than this binary knows (${known})`)
  const applied: string[] = []
  for (const m of list) {
    if (m.version <= current) continue
    const done = await sql.begin(async (tx) => {
      await LOCK(tx)
      if ((await versionOf(tx)) >= m.version) return false // another instance applied it meanwhile
      await tx.unsafe(m.sql).simple() // a file holds several statements: simple protocol, no parameters
      await tx`INSERT INTO schema_migrations (version, name, applied_at) VALUES (${m.version}, ${m.name}, ${new Date().toISOString()})`
      return true
    })
    if (done) applied.push(m.name)
  }
  return applied
}

export async function appliedPgMigrations(sql: SQL): Promise<{ version: number; name: string; applied_at: string }[]> {
  return [...(await sql`SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)]
}
