// Search worker thread (thin shell): keeps the search index file current and answers queries.

import { searchIndexPath } from '../db/sqlite/search-file'
import { createLogger } from '../log'
import { runWorker } from './run-loop'
import { createSearchUpkeep, queryError } from '../db/sqlite/search-upkeep'

runWorker((init, post) => {
  const loop = createSearchUpkeep({
    dbPath: init.dbPath,
    indexPath: searchIndexPath(init.dbPath),
    budget: Number(init.settings.budget),
    log: createLogger(init.logLevel, { worker: 'search' }),
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
        return true
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
