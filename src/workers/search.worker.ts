// Search worker thread (thin shell): keeps the search index file current and answers queries.

import { searchIndexPath } from '../db/sqlite/search-file'
import { createLogger } from '../log'
import { runWorker } from './run-loop'
import { createSearchUpkeep, queryError } from '../db/sqlite/search-upkeep'
import { lowerThreadPriority } from './thread-priority'

/**
 * Nice value of this thread. Indexing costs about half as much CPU per message as the send path
 * (FTS5 inserts and segment merges): at normal priority it would take CPU from sends whenever the
 * machine is busy. Niced, it yields to them and catches up when the CPUs are free (docs/search.md).
 */
const NICE = 10
/** After a hint, wait this long before indexing, so that one pass (one FTS5 segment) takes many messages. */
const LINGER_MS = 100

runWorker((init, post) => {
  const log = createLogger(init.logLevel, { worker: 'search' })
  if (lowerThreadPriority(NICE) === null) log.info('search worker runs at normal priority (could not lower it on this system)')
  const loop = createSearchUpkeep({
    dbPath: init.dbPath,
    indexPath: searchIndexPath(init.dbPath),
    budget: Number(init.settings.budget),
    log,
    progress: (changes) => post({ type: 'search.progress', changes }),
  })
  return {
    intervalMs: Number(init.settings.intervalMs),
    nextDelayMs: () => (loop.hasMore() ? 0 : Number(init.settings.intervalMs)),
    tick: () => loop.tick(),
    close: () => loop.close(),
    onMessage(m) {
      if (m.type === 'search.rooms') {
        loop.markRooms(m.rooms)
        return LINGER_MS
      }
      if (m.type === 'search.query') {
        try {
          post({ type: 'search.result', id: m.id, page: loop.query(m.req) })
        } catch (e) {
          post({ type: 'search.result', id: m.id, error: queryError(e) })
        }
      }
      return false
    },
  }
})
