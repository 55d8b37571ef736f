// The PostgreSQL implementation of the store (SPEC §9): the same aggregates, method names, row
// shapes, cursors and errors as the SQLite store (db/sqlite/), every method returning a promise.

import type { SQL } from 'bun'
import type { Store } from '../types'
import { createDeadLetterStore } from './dead-letters'
import { createDeliveryStore } from './deliveries'
import { createDeliveryResults } from './delivery-results'
import { createMemberStore } from './members'
import { createMessageStore } from './messages'
import { createModerationStore } from './moderation'
import { createNotificationStore } from './notifications'
import { createAuditStore, createReportStore } from './reports'
import { createRoomStore } from './rooms'
import { first } from './rows'
import { createTenantStore } from './tenants'
import { createReactionStore } from './reactions'
import { createPinStore } from './pins'
import { createMentionStore } from './mentions'
import { createUploadStore } from './uploads'
import { createSearchStore } from './search'

/** How long the /health write probe may take before it counts as "not writable". */
const PROBE_TIMEOUT_MS = 2000

/**
 * Every method is one statement or one transaction on the pool of `sql`; several instances may
 * share the database (multi-row steps lock rows so they stay atomic across instances: see
 * messages.appendBatch and members.add). The connection decides the schema (search_path).
 */
export function createPostgresStore(sql: SQL): Store {
  const mentions = createMentionStore(sql)
  return {
    tenants: createTenantStore(sql),
    rooms: createRoomStore(sql, mentions),
    members: createMemberStore(sql),
    messages: createMessageStore(sql),
    reactions: createReactionStore(sql),
    pins: createPinStore(sql),
    mentions,
    notifications: createNotificationStore(sql),
    deliveries: createDeliveryStore(sql),
    deadLetters: createDeadLetterStore(sql),
    moderation: createModerationStore(sql),
    reports: createReportStore(sql),
    audit: createAuditStore(sql),
    applyDeliveryResults: createDeliveryResults(sql),
    uploads: createUploadStore(sql),
    search: createSearchStore(sql),
    meta: {
      get: async (key: string) => first<{ value: string }>(await sql`SELECT value FROM meta WHERE key = ${key}`)?.value ?? null,
      set: async (key: string, value: string) =>
        void (await sql`INSERT INTO meta (key, value) VALUES (${key}, ${value}) ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
      async setIfAbsent(key: string, value: string): Promise<string> {
        await sql`INSERT INTO meta (key, value) VALUES (${key}, ${value}) ON CONFLICT (key) DO NOTHING`
        return first<{ value: string }>(await sql`SELECT value FROM meta WHERE key = ${key}`)!.value
      },
    },
    /**
     * The write probe of /health: a committed upsert of a meta row. False when it fails (server
     * down, read-only replica or transaction, disk full) or does not answer in time.
     */
    async writable(): Promise<boolean> {
      let timer: ReturnType<typeof setTimeout> | undefined
      const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS)))
      const probe = sql`INSERT INTO meta (key, value) VALUES ('health_probe', ${new Date().toISOString()})
          ON CONFLICT (key) DO UPDATE SET value = excluded.value`.then(
        () => true,
        () => false,
      )
      try {
        return await Promise.race([probe, timeout])
      } finally {
        clearTimeout(timer)
      }
    },
    /** No WAL file of ours to watch: PostgreSQL manages its own. */
    walBytes: () => 0,
  }
}

export { createPgDeliveryReader } from './deliveries'
export { runPgMigrations } from './migrate'
