// The upkeep of the search index file, run by the search worker (workers/search.worker.ts; SPEC §13,
// docs/search.md): keeps the file current from the chat database and answers queries between its
// bounded passes. It reads the chat database through a query_only connection and writes only the
// index file, so the main thread stays the one writer of the chat database.

import type { Database } from 'bun:sqlite'
import { rmSync, writeFileSync } from 'node:fs'
import { openSqlite } from '../open'
import { createSearchIndex, type SearchIndex } from './search-index'
import { createSearchReader } from './search-reader'
import { inodeOf, isCorruption, openIndexDb, removeIndexFiles } from './search-file'
import type { SearchRequest, SearchPage } from '../search-query'
import { AppError } from '../../errors'
import type { Logger } from '../../log'

/** How often a running worker touches its heartbeat file (`chatapi search rebuild` refuses while it is fresh). */
export const HEARTBEAT_MS = 2000
/** Beside the index, not in it: deleting the index must not hide that a worker is running. */
export const heartbeatPath = (indexPath: string) => `${indexPath}.heartbeat`

export interface SearchUpkeepDeps {
  dbPath: string
  indexPath: string
  /** Messages indexed per pass at most: what a query arriving meanwhile may wait for. */
  budget: number
  log: Logger
  progress(changes: number): void
}

export function createSearchUpkeep(d: SearchUpkeepDeps) {
  const chat = openSqlite(d.dbPath, { synchronous: 'NORMAL' })
  chat.exec('PRAGMA query_only = ON')
  let idx!: Database
  let ino: number | null = null
  let index!: SearchIndex
  let reader!: ReturnType<typeof createSearchReader>
  let reported = -1
  let lastBeat = 0
  let more = true
  let walkLogged = false
  let merging = false // after a build from empty: idle passes merge its segments into one

  function open(fresh: boolean, why?: string) {
    if (fresh) {
      removeIndexFiles(d.indexPath)
      d.log.warn('search index is being rebuilt from the messages', { reason: why })
    }
    try {
      idx = openIndexDb(d.indexPath)
      index = createSearchIndex({ chat, idx, schema: 'main' })
    } catch (e) {
      if (fresh || !isCorruption(e)) throw e
      idx?.close()
      return open(true, 'corrupt')
    }
    reader = createSearchReader({ chat, idx, schema: 'main' })
    merging = index.created
    ino = inodeOf(d.indexPath)
    more = true
    walkLogged = false
  }

  /** Replaces a damaged index with an empty one that the walk then fills. */
  function reset(why: string) {
    try {
      idx.close()
    } catch {}
    open(true, why)
  }

  function guarded<T>(fn: () => T): T {
    try {
      return fn()
    } catch (e) {
      if (isCorruption(e)) reset('corrupt')
      throw e
    }
  }

  open(false)

  return {
    tick() {
      const now = inodeOf(d.indexPath)
      if (now !== ino) {
        // Deleted or replaced under us: start over on what is at the path now (an empty index if nothing).
        try {
          idx.close()
        } catch {}
        open(now === null, now === null ? 'missing' : undefined)
        if (now !== null) index.rewalk()
      }
      const r = guarded(() => index.pass(d.budget))
      if (merging && r.work === 0 && !index.walking()) merging = guarded(() => index.merge())
      more = r.more || merging
      if (r.changesCursor !== reported) d.progress((reported = r.changesCursor))
      if (!index.walking() && !walkLogged) {
        walkLogged = true
        d.log.info('search index caught up')
      }
      if (Date.now() - lastBeat >= HEARTBEAT_MS) {
        lastBeat = Date.now()
        writeFileSync(heartbeatPath(d.indexPath), String(lastBeat))
      }
    },
    hasMore: () => more,
    markRooms: (rooms: string[]) => index.markRooms(rooms),
    query(req: SearchRequest): SearchPage {
      return guarded(() => reader.query(req))
    },
    close() {
      rmSync(heartbeatPath(d.indexPath), { force: true }) // stopped: `chatapi search rebuild` may run now
      idx.close()
      chat.close()
    },
  }
}

/** How a failed query travels back: an AppError as it is (a bad cursor stays a 400), else its code only. */
export function queryError(e: unknown): { code: string; field?: string; message?: string } {
  if (e instanceof AppError) return { code: e.code, field: e.field, message: e.message }
  return { code: (e as { code?: string })?.code ?? 'SEARCH_FAILED' }
}
