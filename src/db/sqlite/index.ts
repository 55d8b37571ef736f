// The SQLite implementation of the store: one object grouping the aggregates over one connection.

import type { Database } from 'bun:sqlite'
import { createMemberStore } from './members'
import { createMessageStore } from './messages'
import { createRoomStore } from './rooms'
import { createTenantStore } from './tenants'
import { createNotificationStore } from './notifications'
import { createDeliveryStore } from './deliveries'
import { createDeadLetterStore } from './dead-letters'
import { createActivityKeys } from './activity'

/**
 * Every method is synchronous and, where it writes more than one row, one immediate transaction:
 * each is one atomic business step (ARCHITECTURE §6). Only the main thread calls the writers.
 */
export function createSqliteStore(db: Database) {
  const metaGet = db.query<{ value: string }, [string]>('SELECT value FROM meta WHERE key = ?')
  const metaSet = db.query('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
  const activity = createActivityKeys() // shared: room creation and messages order against each other
  return {
    tenants: createTenantStore(db),
    rooms: createRoomStore(db, activity),
    members: createMemberStore(db),
    messages: createMessageStore(db, activity),
    notifications: createNotificationStore(db),
    deliveries: createDeliveryStore(db),
    deadLetters: createDeadLetterStore(db),
    meta: {
      get: (key: string) => metaGet.get(key)?.value ?? null,
      set: (key: string, value: string) => void metaSet.run(key, value),
    },
    /** A cheap write probe for /health: true when the database accepts a write right now. */
    writable(): boolean {
      try {
        db.transaction(() => metaSet.run('health_probe', new Date().toISOString())).immediate()
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
  }
}
