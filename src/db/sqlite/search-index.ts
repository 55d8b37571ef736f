// The SQLite search index (SPEC §13): an FTS5 table kept beside the chat database and filled from
// it, never inside the writer's transactions. It reads the chat tables (messages, rooms,
// search_changes) through `chat` and writes only its own tables through `idx`. In a server with a
// database file both are connections of the search worker (workers/search.worker.ts), the index in
// its own file; with `:memory:` (and in the store tests) both are the main connection and the index
// lives in an attached in-memory schema.
//
// How it stays current (docs/search.md):
// - new messages: per room, everything above the room's indexed seq (`cursors`). Rooms are named by
//   hints from the main thread after each commit; a walk over all rooms at every start (and after
//   a rebuild) catches what happened while no worker ran;
// - edits and deletes: the `search_changes` rows that triggers add in the same transaction as the
//   UPDATE or DELETE (migration 0007), read in id order; the index keeps the last id it applied.
//
// Rowids encode time and count DOWN with it ((2200-01-01 − created_at) in ms × 1024 + n), so
// ascending rowid order is newest-first order whatever order messages were indexed in. Ascending,
// because FTS5 reads a doclist lazily front to back (and skips ahead with its doclist index), while
// ORDER BY rowid DESC makes it load a term's whole doclist first: on 1,000,000 messages a common
// word or the tenant token cost milliseconds per query that way.

import type { Database, Statement } from 'bun:sqlite'

export const INDEX_FORMAT = '3'
/** Rowids count down from this instant; (BASE_MS × PER_MS) stays below 2^53 (safe integers). */
const BASE_MS = Date.UTC(2200, 0, 1)
/** One millisecond's block of rowids: 1024 messages before they spill into the next (older) block. */
const PER_MS = 1024

export const indexSchemaSql = (s: string) => `
  CREATE TABLE IF NOT EXISTS ${s}.state (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS ${s}.keys (key INTEGER PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, UNIQUE (kind, name));
  CREATE TABLE IF NOT EXISTS ${s}.cursors (room_id TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS ${s}.docs (id INTEGER PRIMARY KEY, room_id TEXT NOT NULL, seq INTEGER NOT NULL, edited_at TEXT, UNIQUE (room_id, seq));
  CREATE VIRTUAL TABLE IF NOT EXISTS ${s}.fts USING fts5(
    body, scope, tokenize = 'unicode61 remove_diacritics 2', content = '', contentless_delete = 1);`

interface ChatRow {
  seq: number
  tenant_id: string
  sender_id: string
  content: string
  created_at: string
  edited_at: string | null
  deleted_at: string | null
}

export interface PassResult {
  /** Messages indexed, re-indexed or dropped. */
  work: number
  /** True when work is left (the caller runs another pass soon). */
  more: boolean
  /** The last search_changes id applied (the main thread may prune up to it). */
  changesCursor: number
}

export function createSearchIndex(d: { chat: Database; idx: Database; schema: string }) {
  const { chat, idx } = d
  const S = d.schema
  idx.exec(indexSchemaSql(S))

  // chat side (read only)
  const roomsAfter = chat.query<{ room_id: string; last_seq: number }, [string, number]>('SELECT room_id, last_seq FROM rooms WHERE room_id > ? ORDER BY room_id LIMIT ?')
  const messagesAfter = chat.query<ChatRow, [string, number, number]>(
    'SELECT seq, tenant_id, sender_id, content, created_at, edited_at, deleted_at FROM messages WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?',
  )
  const messageAt = chat.query<ChatRow, [string, number]>('SELECT seq, tenant_id, sender_id, content, created_at, edited_at, deleted_at FROM messages WHERE room_id = ? AND seq = ?')
  const changesAfter = chat.query<{ id: number; room_id: string; seq: number }, [number, number]>('SELECT id, room_id, seq FROM search_changes WHERE id > ? ORDER BY id LIMIT ?')
  const lastChange = chat.query<{ id: number }, []>('SELECT coalesce(max(id), 0) AS id FROM search_changes')

  // index side
  const stateGet = idx.query<{ value: string }, [string]>(`SELECT value FROM ${S}.state WHERE key = ?`)
  const stateSet = idx.query(`INSERT INTO ${S}.state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`)
  const keyGet = idx.query<{ key: number }, [string, string]>(`SELECT key FROM ${S}.keys WHERE kind = ? AND name = ?`)
  const keyAdd = idx.query<{ key: number }, [string, string]>(`INSERT INTO ${S}.keys (kind, name) VALUES (?, ?) RETURNING key`)
  const cursorGet = idx.query<{ seq: number }, [string]>(`SELECT seq FROM ${S}.cursors WHERE room_id = ?`)
  const cursorSet = idx.query(`INSERT INTO ${S}.cursors (room_id, seq) VALUES (?, ?) ON CONFLICT (room_id) DO UPDATE SET seq = excluded.seq`)
  const docAt = idx.query<{ id: number; edited_at: string | null }, [string, number]>(`SELECT id, edited_at FROM ${S}.docs WHERE room_id = ? AND seq = ?`)
  const docTop = idx.query<{ id: number | null }, [number, number]>(`SELECT max(id) AS id FROM ${S}.docs WHERE id BETWEEN ? AND ?`)
  const docExists = idx.query<{ id: number }, [number]>(`SELECT id FROM ${S}.docs WHERE id = ?`)
  const docAdd = idx.query(`INSERT INTO ${S}.docs (id, room_id, seq, edited_at) VALUES (?, ?, ?, ?)`)
  const docEdited = idx.query(`UPDATE ${S}.docs SET edited_at = ? WHERE id = ?`)
  const docDrop = idx.query(`DELETE FROM ${S}.docs WHERE id = ?`)
  const ftsAdd = idx.query(`INSERT INTO ${S}.fts (rowid, body, scope) VALUES (?, ?, ?)`)
  const ftsMerge = idx.query(`INSERT INTO ${S}.fts (fts, rank) VALUES ('merge', ?)`)
  const totalChanges = idx.query<{ n: number }, []>('SELECT total_changes() AS n')
  const ftsDrop = idx.query(`DELETE FROM ${S}.fts WHERE rowid = ?`)

  const keyCache = new Map<string, number>()
  function keyOf(kind: 't' | 'r' | 's', name: string): number {
    const k = `${kind}\u0000${name}`
    let v = keyCache.get(k)
    if (v === undefined) {
      v = keyGet.get(kind, name)?.key ?? keyAdd.get(kind, name)!.key
      if (keyCache.size > 100_000) keyCache.clear()
      keyCache.set(k, v)
    }
    return v
  }
  // Two scope tokens per message: its tenant and its room (a sender filter is checked per candidate:
  // a third token cost about a tenth more indexing CPU for a filter few searches use).
  const scopeOf = (roomId: string, m: ChatRow) => `t${keyOf('t', m.tenant_id)} r${keyOf('r', roomId)}`

  /** A free rowid in the message's millisecond block (or just past it when the block is full). */
  function rowidFor(createdAt: string): number {
    const ms = Math.min(BASE_MS, Math.max(0, Date.parse(createdAt) || 0))
    const base = (BASE_MS - ms) * PER_MS
    const top = docTop.get(base, base + PER_MS - 1)?.id
    let id = top === null || top === undefined ? base : top + 1
    // Inside the block, one past its highest rowid is free; past it (a full block) probe.
    if (id >= base + PER_MS) while (docExists.get(id)) id++
    return id
  }

  /**
   * FTS5 rows of the pass, written at its end in ascending rowid order: FTS5 flushes its pending
   * terms to a new segment whenever a rowid is not above the last one written in the transaction,
   * and new messages have ever smaller rowids. Written one by one they cost 33 µs each here and left
   * a segment per message; sorted, one segment per pass.
   */
  let pending: { id: number; body: string; scope: string }[] = []

  function addDoc(roomId: string, m: ChatRow) {
    const id = rowidFor(m.created_at)
    docAdd.run(id, roomId, m.seq, m.edited_at)
    pending.push({ id, body: m.content, scope: scopeOf(roomId, m) })
  }

  /** Indexes up to `budget` messages of the room above its cursor; done when none are left. */
  function indexRoom(roomId: string, budget: number): { n: number; done: boolean } {
    const from = cursorGet.get(roomId)?.seq ?? 0
    const rows = messagesAfter.all(roomId, from, budget)
    for (const m of rows) if (!m.deleted_at) addDoc(roomId, m)
    if (rows.length) cursorSet.run(roomId, rows[rows.length - 1].seq)
    return { n: rows.length, done: rows.length < budget }
  }

  /** Brings one message's entry in line with its row: re-indexed after an edit, dropped after a delete. */
  function applyChange(roomId: string, seq: number): void {
    if (seq > (cursorGet.get(roomId)?.seq ?? 0)) return // not indexed yet: the room's tail reads the current row
    const doc = docAt.get(roomId, seq)
    const m = messageAt.get(roomId, seq)
    if (doc) {
      ftsDrop.run(doc.id)
      if (!m || m.deleted_at) return void docDrop.run(doc.id)
      pending.push({ id: doc.id, body: m.content, scope: scopeOf(roomId, m) })
      docEdited.run(m.edited_at, doc.id)
    } else if (m && !m.deleted_at) addDoc(roomId, m)
  }

  const dirty = new Set<string>()
  let walkFrom: string | null = '' // next room id of the start-up walk; null once it went through every room

  const state = (key: string) => stateGet.get(key)?.value ?? null
  const created = state('format') === null
  if (created) {
    // A new index: every change so far is already in the rows the walk reads.
    idx.transaction(() => {
      stateSet.run('format', INDEX_FORMAT)
      stateSet.run('changes', String(lastChange.get()!.id))
    })()
  } else if (state('format') !== INDEX_FORMAT) throw Object.assign(new Error('search index format unknown'), { code: 'SQLITE_CORRUPT' })

  /** One pass in one index transaction (see `pass`). */
  const step = (budget: number) =>
    idx.transaction((): PassResult => {
      let work = 0
      let changes = Number(state('changes') ?? 0)
      const batch = changesAfter.all(changes, budget)
      for (const c of batch) {
        applyChange(c.room_id, c.seq)
        changes = c.id
      }
      work += batch.length
      if (batch.length) stateSet.run('changes', String(changes))
      for (const roomId of dirty) {
        if (work >= budget) break
        const r = indexRoom(roomId, budget - work)
        work += r.n
        if (r.done) dirty.delete(roomId)
      }
      while (walkFrom !== null && work < budget) {
        const rooms = roomsAfter.all(walkFrom, 200)
        if (!rooms.length) walkFrom = null
        for (const room of rooms) {
          if (room.last_seq > (cursorGet.get(room.room_id)?.seq ?? 0)) {
            const r = indexRoom(room.room_id, Math.max(1, budget - work))
            work += r.n
            if (!r.done) break // this room again next pass
          }
          walkFrom = room.room_id
          if (work >= budget) break
        }
      }
      pending.sort((a, b) => a.id - b.id)
      for (const p of pending) ftsAdd.run(p.id, p.body, p.scope)
      pending = []
      return { work, more: work >= budget || dirty.size > 0 || walkFrom !== null || batch.length === budget, changesCursor: changes }
    })()

  return {
    /** Rooms that have new messages (hints from the main thread after commits). */
    markRooms(roomIds: Iterable<string>) {
      for (const r of roomIds) dirty.add(r)
    },

    /** Starts the walk over every room again (what a start does; the worker calls it after a reopen). */
    rewalk() {
      walkFrom = ''
    },

    walking: () => walkFrom !== null,

    /** True when this index was created empty now (it is filled from the messages by the walk). */
    created,

    /**
     * One bounded step in one index transaction: pending changes, then hinted rooms, then the walk.
     * At most about `budget` messages, so a query waiting on the same thread waits little.
     */
    pass(budget = 2000): PassResult {
      // What lives outside the transaction goes back with it when it fails (a full disk, a damaged
      // file): the walk's position, the hinted rooms, and keys that may not have been committed.
      const walkBefore = walkFrom
      const dirtyBefore = [...dirty]
      try {
        return step(budget)
      } catch (e) {
        pending = []
        walkFrom = walkBefore
        for (const r of dirtyBefore) dirty.add(r)
        keyCache.clear()
        throw e
      }
    },

    /**
     * One bounded step of merging the index's segments towards one (FTS5 'merge' with a negative
     * page budget). A bulk build leaves many segments, and every term of a query is looked up in
     * each: on 1,000,000 messages merging made queries 2-4x faster. Only after a build: on a live
     * index it would rewrite the big segment again after every burst of writes (FTS5's own
     * automerge keeps a growing index in shape). True while there is more to merge.
     */
    merge(pages = 200): boolean {
      const before = totalChanges.get()!.n
      ftsMerge.run(-pages)
      return totalChanges.get()!.n - before >= 2 // FTS5's documented sign that the step did work
    },

    /** Runs passes until nothing is left (rebuilds, tests, `:memory:`). */
    catchUp(budget = 5000): number {
      let total = 0
      for (;;) {
        const r = this.pass(budget)
        total += r.work
        if (!r.more) return total
      }
    },

    state,
    setState: (key: string, value: string) => void stateSet.run(key, value),
  }
}

export type SearchIndex = ReturnType<typeof createSearchIndex>
export type { Statement }
