// The SQLite implementation of the store: one object grouping the aggregates over one connection.

import type { Database } from 'bun:sqlite'
import type { Store } from '../types'
import { createMemberStore } from './members'
import { createMessageStore } from './messages'
import { createRoomStore } from './rooms'
import { createTenantStore } from './tenants'
import { createNotificationStore } from './notifications'
import { createDeliveryStore } from './deliveries'
import { createDeadLetterStore } from './dead-letters'
import { createDeliveryResults } from './delivery-results'
import { createActivityKeys } from './activity'
import { createReactionStore } from './reactions'
import { createPinStore } from './pins'
import { createMentionStore } from './mentions'
import { createUploadStore } from './uploads'
import { createModerationStore } from './moderation'
import { createAuditStore, createReportStore } from './reports'
import { createInlineSearch } from './search'

/**
 * Every method is synchronous and, where it writes more than one row, one immediate transaction:
 * each is one atomic business step (ARCHITECTURE §6). Only the main thread calls the writers.
 * Synchronous on purpose: see the header of db/types.ts for what relies on it.
 */
export function createSqliteStore(db: Database) {
  const metaGet = db.query<{ value: string }, [string]>('SELECT value FROM meta WHERE key = ?')
  const metaSet = db.query('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
  const metaAdd = db.query('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING')
  const growthProbe = db.query("INSERT INTO meta (key, value) VALUES ('health_growth_probe', zeroblob(16384))")
  const deliveries = createDeliveryStore(db)
  const deadLetters = createDeadLetterStore(db)
  const activity = createActivityKeys() // shared: room creation and messages order against each other
  const mentions = createMentionStore(db)
  return {
    tenants: createTenantStore(db),
    rooms: createRoomStore(db, activity, mentions),
    members: createMemberStore(db),
    messages: createMessageStore(db, activity),
    reactions: createReactionStore(db),
    pins: createPinStore(db),
    mentions,
    notifications: createNotificationStore(db),
    deliveries,
    deadLetters,
    moderation: createModerationStore(db),
    reports: createReportStore(db),
    audit: createAuditStore(db),
    applyDeliveryResults: createDeliveryResults(deliveries, deadLetters),
    uploads: createUploadStore(db),
    search: createInlineSearch(db),
    meta: {
      get: (key: string) => metaGet.get(key)?.value ?? null,
      set: (key: string, value: string) => void metaSet.run(key, value),
      /** Stores `value` unless the key has one already; returns the stored value (the first writer's). */
      setIfAbsent(key: string, value: string): string {
        metaAdd.run(key, value)
        return metaGet.get(key)!.value
      },
    },
    /**
     * The write probe of /health: true when a maximal message (16 KiB) could be stored right now.
     * 1. a committed 16 KiB upsert: a read-only file, I/O errors, or a WAL that cannot grow on a full
     *    disk fail it (a one-row write would still fit in the slack of the WAL's last page);
     * 2. the same room again inside a transaction that is rolled back, never written: a file that
     *    cannot grow (max_page_count) fails it, while rewriting pages the probe already owns passes.
     */
    writable(): boolean {
      try {
        db.transaction(() => metaSet.run('health_probe', new Date().toISOString().padEnd(16384, '.'))).immediate()
        db.exec('BEGIN IMMEDIATE')
        try {
          growthProbe.run()
        } finally {
          if (db.inTransaction) db.exec('ROLLBACK')
        }
        return true
      } catch {
        return false
      }
    },
    walBytes(): number {
      const f = db.filename
      if (!f || f === ':memory:') return 0
      const file = Bun.file(`${f}-wal`)
      return file.size
    },
  } satisfies Store
}
