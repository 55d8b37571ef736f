// PostgreSQL for the store tests: reachability (the PG half skips with a message when it is down)
// and one throw-away schema per use, reached through search_path in the connection URL.

import { SQL } from 'bun'
import { runPgMigrations } from '../../src/db/postgres/migrate'

export const PG_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

async function reachable(): Promise<boolean> {
  const sql = new SQL({ url: PG_URL, max: 1, connectionTimeout: 2 })
  try {
    await sql`SELECT 1`
    return true
  } catch {
    return false
  } finally {
    await sql.close().catch(() => {})
  }
}

export const pgUp = await reachable()
if (!pgUp) console.warn(`\n[test/store] PostgreSQL half SKIPPED: not reachable at ${PG_URL} (set TEST_PG_URL, or start PostgreSQL 15)\n`)

/** The URL of `schema` on the test server: every connection made from it works in that schema. */
export function schemaUrl(schema: string): string {
  const sep = PG_URL.includes('?') ? '&' : '?'
  return `${PG_URL}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`
}

export interface PgSchema {
  name: string
  url: string
  /** A new client (its own pool: another "instance") on the schema. */
  client(max?: number): SQL
  /** Closes every client made by `client()` and drops the schema. */
  drop(): Promise<void>
}

/** Creates `chatapi_test_<random>`, migrated unless `migrate: false`. */
export async function freshSchema(opts: { migrate?: boolean } = {}): Promise<PgSchema> {
  const name = `chatapi_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  const admin = new SQL({ url: PG_URL, max: 1 })
  await admin.unsafe(`CREATE SCHEMA ${name}`)
  const url = schemaUrl(name)
  const clients: SQL[] = []
  const client = (max = 4) => {
    const c = new SQL({ url, max })
    clients.push(c)
    return c
  }
  if (opts.migrate !== false) await runPgMigrations(client(1))
  return {
    name,
    url,
    client,
    async drop() {
      await Promise.all(clients.map((c) => c.close().catch(() => {})))
      try {
        await admin.unsafe(`DROP SCHEMA IF EXISTS ${name} CASCADE`)
      } finally {
        await admin.close()
      }
    },
  }
}
