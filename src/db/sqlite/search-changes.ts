// Pruning of search_changes (migration 0007) on the main thread, the one writer: rows the search
// worker has applied are deleted in one statement at most every few seconds, never per change.

import type { Database } from 'bun:sqlite'

export function createChangesPruner(db: Database, everyMs = 5000) {
  const del = db.query('DELETE FROM search_changes WHERE id <= ?')
  let applied = 0
  let pruned = 0
  let last = 0
  return {
    /** The worker applied every change up to `id`; deletes them when the last prune is old enough. Returns rows deleted. */
    upTo(id: number): number {
      applied = Math.max(applied, id)
      if (applied <= pruned || Date.now() - last < everyMs) return 0
      last = Date.now()
      const n = del.run(applied).changes
      pruned = applied
      return n
    },
  }
}
