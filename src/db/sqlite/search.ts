// The SQLite store's own `search` group: the index in an in-memory schema attached to this very
// connection, brought up to date before each query. Used where no search worker runs: a `:memory:`
// database and the store contract tests. A server with a database file answers searches from the
// search worker instead (workers/search.worker.ts), which runs the same index and reader over
// its own connections, off the main thread.

import type { Database } from 'bun:sqlite'
import type { SearchPage, SearchRequest } from '../search-query'
import { createSearchIndex, type SearchIndex } from './search-index'
import { createSearchReader } from './search-reader'

export function createInlineSearch(db: Database) {
  let parts: { index: SearchIndex; reader: ReturnType<typeof createSearchReader> } | null = null
  const prune = db.query('DELETE FROM search_changes WHERE id <= ?')
  return {
    /** Synchronous, like every SQLite store method; costs a walk over all rooms (tests and :memory: only). */
    query(req: SearchRequest): SearchPage {
      if (!parts) {
        db.exec("ATTACH DATABASE ':memory:' AS search")
        parts = { index: createSearchIndex({ chat: db, idx: db, schema: 'search' }), reader: createSearchReader({ chat: db, idx: db, schema: 'search' }) }
      }
      parts.index.rewalk()
      parts.index.catchUp()
      prune.run(Number(parts.index.state('changes') ?? 0))
      return parts.reader.query(req)
    },
  }
}
