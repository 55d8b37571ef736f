// The one switch that runs the black-box suites on PostgreSQL (and Redis) instead of SQLite:
//   CHATAPI_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres [CHATAPI_TEST_REDIS_URL=redis://127.0.0.1:6379] bun test …
// Each test server then gets a database of its own, created here and dropped at stop.

import { SQL } from 'bun'
import { randomBase62 } from '../../src/ids'

export const TEST_PG_URL = process.env.CHATAPI_TEST_DATABASE_URL?.startsWith('postgres') ? process.env.CHATAPI_TEST_DATABASE_URL : null
export const TEST_REDIS_URL = TEST_PG_URL ? (process.env.CHATAPI_TEST_REDIS_URL ?? null) : null
/** True when the suites run on SQLite (tests of SQLite files, WAL, backups and pragmas skip otherwise). */
export const onSqlite = TEST_PG_URL === null

/** Creates an empty database next to the one in `adminUrl`; returns its URL and a drop function. */
export async function freshPgDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `chatapi_t_${randomBase62(10).toLowerCase()}`
  const admin = new SQL(adminUrl, { max: 1 })
  await admin.unsafe(`CREATE DATABASE ${name}`)
  await admin.close()
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.href,
    async drop() {
      const a = new SQL(adminUrl, { max: 1 })
      await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {})
      await a.close()
    },
  }
}
