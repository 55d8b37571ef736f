// The one switch that runs the black-box suites on PostgreSQL (and Redis) instead of SQLite:
//   CHATAPI_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres [CHATAPI_TEST_REDIS_URL=redis://127.0.0.1:6379] bun test …
// Each test server then gets a database of its own (bench/lib/pg-database.ts), dropped at stop.

export { freshPgDatabase } from '../../bench/lib/pg-database'

export const TEST_PG_URL = process.env.CHATAPI_TEST_DATABASE_URL?.startsWith('postgres') ? process.env.CHATAPI_TEST_DATABASE_URL : null
export const TEST_REDIS_URL = TEST_PG_URL ? (process.env.CHATAPI_TEST_REDIS_URL ?? null) : null
/** True when the suites run on SQLite (tests of SQLite files, WAL, backups and pragmas skip otherwise). */
export const onSqlite = TEST_PG_URL === null
/**
 * CHATAPI_TEST_CLUSTER=N (N ≥ 2, with PostgreSQL and Redis set): each test server is N instances
 * on one fresh database and the Redis, behind a round-robin TCP proxy whose URL the test gets
 * (test/support/server.ts). Tests that need one instance (a store handle, a shutdown) skip then.
 */
export const TEST_CLUSTER = TEST_REDIS_URL ? Math.max(0, Number(process.env.CHATAPI_TEST_CLUSTER ?? 0) | 0) : 0
export const inCluster = TEST_CLUSTER >= 2
