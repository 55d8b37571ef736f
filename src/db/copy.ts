// `chatapi copy-db --to postgres://…` (SPEC §8, docs/scaling.md): moves a SQLite database into an
// empty PostgreSQL database, table by table in batches, as one PostgreSQL transaction.

import type { SQL } from 'bun'
import { RESTORED_KEY } from './epoch'
import { sqliteMigrations } from './migrations'
import { openSqlite } from './open'
import { runPgMigrations } from './postgres/migrate'
import { postgresMigrations } from './postgres/migrations'

/** Every table of the schema, parents before children (foreign keys). schema_migrations is not copied. */
export const COPIED_TABLES = [
  'tenants',
  'rooms',
  'members',
  'messages',
  'reactions',
  'mentions',
  'meta',
  'notifications',
  'notification_targets',
  'subscriptions',
  'deliveries',
  'dead_letters',
  'uploads',
  'message_uploads',
  'upload_usage',
  'room_bans',
  'room_mutes',
  'tenant_bans',
  'blocks',
  'reports',
  'audit_log',
] as const

/**
 * SQLite-only bookkeeping, not copied: search_changes feeds the SQLite search index (PostgreSQL
 * searches with its own index, migration 0007).
 */
export const SQLITE_ONLY_TABLES = ['search_changes'] as const

export class CopyError extends Error {}

/** PostgreSQL takes at most 65535 parameters per statement. */
const MAX_PARAMS = 60_000
const MAX_ROWS = 1000

/**
 * Copies every row of the SQLite database at `sqlitePath` into the database of `sql`:
 * - the source is opened read-only and read in one read transaction (a consistent snapshot, also
 *   while a server is running on it: WAL lets it go on writing);
 * - the target is migrated first (same migration numbers), then must be empty: a copy never merges;
 * - all rows go in one PostgreSQL transaction (all or nothing: a failed copy can simply be re-run),
 *   in multi-row INSERTs of up to 1000 rows;
 * - the target is marked restored, so the first server started on it takes a new epoch (SPEC §6:
 *   clients drop their cursors rather than trust them across the move).
 * Returns the number of rows copied per table.
 */
export async function copySqliteToPostgres(
  sqlitePath: string,
  sql: SQL,
  opts: { onProgress?: (table: string, rows: number) => void } = {},
): Promise<Record<string, number>> {
  const src = openSqlite(sqlitePath, { readonly: true })
  try {
    const version = (() => {
      try {
        return src.query<{ v: number | null }, []>('SELECT max(version) AS v FROM schema_migrations').get()?.v ?? 0
      } catch {
        return 0
      }
    })()
    const latest = sqliteMigrations[sqliteMigrations.length - 1].version
    if (version !== latest)
      throw new CopyError(`${sqlitePath} is at schema version ${version}, expected ${latest}: run \`chatapi migrate\` on it first`)
    if (postgresMigrations[postgresMigrations.length - 1].version !== latest)
      throw new CopyError('the SQLite and PostgreSQL migration lists of this binary differ')
    const tables = src
      .query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations'")
      .all()
      .map((t) => t.name)
    const known: readonly string[] = [...COPIED_TABLES, ...SQLITE_ONLY_TABLES]
    const unknown = tables.filter((t) => !known.includes(t))
    if (unknown.length) throw new CopyError(`copy-db does not know the table(s) ${unknown.join(', ')}`)

    await runPgMigrations(sql)
    const counts: Record<string, number> = {}
    src.exec('BEGIN') // one read snapshot for every table
    try {
      await sql.begin(async (tx) => {
        await tx`SELECT pg_advisory_xact_lock(${0x43484154}::int4, ${0x434f5059}::int4)` // one copy at a time
        for (const t of COPIED_TABLES) {
          const [{ any }] = await tx.unsafe(`SELECT EXISTS (SELECT 1 FROM ${t}) AS any`)
          if (any) throw new CopyError(`the target database is not empty (table ${t} has rows): copy-db only fills an empty database`)
        }
        for (const t of COPIED_TABLES) {
          const cols = src.query<{ name: string }, []>(`PRAGMA table_info(${t})`).all().map((c) => c.name)
          const per = Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_PARAMS / cols.length)))
          const insert = (n: number) =>
            `INSERT INTO ${t} (${cols.join(', ')}) VALUES ` +
            Array.from({ length: n }, (_, r) => `(${cols.map((_, c) => `$${r * cols.length + c + 1}`).join(', ')})`).join(', ')
          const full = insert(per)
          let batch: unknown[] = []
          let n = 0
          const flush = async () => {
            const rows = batch.length / cols.length
            if (!rows) return
            await tx.unsafe(rows === per ? full : insert(rows), batch)
            n += rows
            batch = []
            opts.onProgress?.(t, n)
          }
          for (const row of src.query<Record<string, unknown>, []>(`SELECT ${cols.join(', ')} FROM ${t}`).iterate()) {
            for (const c of cols) batch.push(row[c])
            if (batch.length === per * cols.length) await flush()
          }
          await flush()
          counts[t] = n
        }
        await tx`INSERT INTO meta (key, value) VALUES (${RESTORED_KEY}, '1') ON CONFLICT (key) DO UPDATE SET value = excluded.value`
      })
    } finally {
      src.exec('COMMIT')
    }
    return counts
  } finally {
    src.close()
  }
}
