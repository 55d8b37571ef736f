// The two store implementations the store contract suites run the same cases on (SPEC §9 "both
// passing the same test suite"): SQLite in a temp file, PostgreSQL in a fresh schema (skipped, with
// the message test/store/pg.ts prints, when the server is unreachable).

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runMigrations } from '../../src/db/migrate'
import { sqliteMigrations } from '../../src/db/migrations'
import { openSqlite } from '../../src/db/open'
import { createPostgresStore } from '../../src/db/postgres'
import { createSqliteStore } from '../../src/db/sqlite'
import type { ReportRow } from '../../src/db/moderation-rows'
import type { NewRoom } from '../../src/db/rows'
import type { Store } from '../../src/db/types'
import { freshSchema, pgUp } from '../store/pg'

export interface OpenedStore {
  store: Store
  /** Another store on the same database (another connection: another "instance"). */
  second(): Store
  /** Closes every connection and removes the database. */
  close(): Promise<void>
}

export interface StoreImpl {
  name: 'sqlite' | 'postgres'
  enabled: boolean
  open(): Promise<OpenedStore>
}

/** `tmpPrefix` names the SQLite temp directories of one suite (chatapi-<prefix>-…). */
export function storeImpls(tmpPrefix: string): StoreImpl[] {
  return [
    {
      name: 'sqlite',
      enabled: true,
      async open() {
        const dir = mkdtempSync(join(tmpdir(), `chatapi-${tmpPrefix}-`))
        const file = join(dir, 'store.db')
        const dbs = [openSqlite(file)]
        runMigrations(dbs[0], sqliteMigrations)
        return {
          store: createSqliteStore(dbs[0]),
          second: () => createSqliteStore(dbs[dbs.push(openSqlite(file)) - 1]),
          async close() {
            for (const d of dbs) d.close()
            rmSync(dir, { recursive: true, force: true })
          },
        }
      },
    },
    {
      name: 'postgres',
      enabled: pgUp,
      async open() {
        const schema = await freshSchema()
        return { store: createPostgresStore(schema.client()), second: () => createPostgresStore(schema.client()), close: () => schema.drop() }
      },
    },
  ]
}

/** An open report of bob's about mallory in t1's room g1 at 2026-01-01T00:00:00.000Z; `extra` overrides. */
export const reportRow = (extra: Partial<ReportRow> & Pick<ReportRow, 'report_id'>): ReportRow => ({
  tenant_id: 't1',
  room_id: 'g1',
  message_id: null,
  user_id: 'mallory',
  reporter_id: 'bob',
  target_key: `user:${extra.user_id ?? 'mallory'}`,
  reason: 'spam',
  note: null,
  status: 'open',
  action: null,
  resolution_note: null,
  resolved_at: null,
  created_at: '2026-01-01T00:00:00.000Z',
  ...extra,
})

/** A group made at 2026-01-01T00:00:00.000Z; the first of `members` owns it. */
export const groupRow = (id: string, members: string[]): NewRoom => ({
  room_id: id,
  type: 'group',
  name: null,
  metadata: null,
  unique_key: null,
  created_at: '2026-01-01T00:00:00.000Z',
  members: members.map((u, i) => ({ user_id: u, role: i === 0 ? 'owner' : 'member' })),
})
