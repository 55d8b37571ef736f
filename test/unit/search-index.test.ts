// The SQLite search index below the API: a pass that fails (a full disk, here a capped index file)
// undoes its in-memory progress with its transaction, so nothing it had not committed is skipped.

import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openSqlite } from '../../src/db/open'
import { runMigrations } from '../../src/db/migrate'
import { sqliteMigrations } from '../../src/db/migrations'
import { createSqliteStore } from '../../src/db/sqlite'
import { createSearchIndex } from '../../src/db/sqlite/search-index'
import { createSearchReader } from '../../src/db/sqlite/search-reader'
import { openIndexDb } from '../../src/db/sqlite/search-file'
import { parseSearchQuery } from '../../src/db/search-query'

const dir = mkdtempSync(join(tmpdir(), 'chatapi-search-index-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

test('a failed pass leaves the walk and the hinted rooms where they were; the next passes index everything', () => {
  const chat = openSqlite(join(dir, 'chat.db'))
  runMigrations(chat, sqliteMigrations)
  const store = createSqliteStore(chat)
  const at = new Date().toISOString()
  store.tenants.insert({ tenant_id: 't1', name: 't', api_key_hash: 'h', webhook_secret: 'w', user_token_secret: 'u', config: '{}', created_at: at })
  const rooms = Array.from({ length: 40 }, (_, i) => `room_${String(i).padStart(3, '0')}`)
  for (const r of rooms) store.rooms.create('t1', { room_id: r, type: 'group', name: null, metadata: null, unique_key: null, created_at: at, members: [{ user_id: 'alice', role: 'owner' }] })
  let n = 0
  for (const r of rooms)
    store.messages.appendBatch(
      Array.from({ length: 30 }, () => ({ tenant_id: 't1', room_id: r, sender_id: 'alice', message_id: `msg_${n++}`, content: `${'filler words here '.repeat(20)} gannet`, meta: null, client_msg_id: null, created_at: at, parent_id: null, mentions: [] })),
    )

  const idx = openIndexDb(join(dir, 'chat.search.db'))
  const index = createSearchIndex({ chat, idx, schema: 'main' })
  index.markRooms(rooms.slice(0, 5))
  const pages = idx.query<{ page_count: number }, []>('PRAGMA page_count').get()!.page_count
  idx.exec(`PRAGMA max_page_count = ${pages + 8}`) // room for a little, not for 1,200 messages
  expect(() => index.pass(2000)).toThrow()
  idx.exec('PRAGMA max_page_count = 1073741823')
  index.catchUp()

  const reader = createSearchReader({ chat, idx, schema: 'main' })
  const found = new Set<string>()
  let cursor: string | undefined
  for (let i = 0; i < 20; i++) {
    const page = reader.query({ tenantId: 't1', userId: 'alice', terms: parseSearchQuery('gannet'), limit: 200, cursor })
    for (const m of page.rows) found.add(m.message_id)
    if (!page.next_cursor) break
    cursor = page.next_cursor
  }
  expect(found.size).toBe(n)
  idx.close()
  chat.close()
})
