// Checkpoint worker thread (thin shell): own connection, PASSIVE checkpoints, WAL size reports.

import { openSqlite } from '../db/open'
import { createCheckpointLoop } from './checkpoint-loop'
import { runWorker } from './run-loop'

runWorker((init, post) => {
  const db = openSqlite(init.dbPath, { synchronous: 'NORMAL' })
  const loop = createCheckpointLoop({
    db,
    walBytes: () => Bun.file(`${init.dbPath}-wal`).size,
    report: (bytes) => post({ type: 'wal', bytes }),
  })
  return { intervalMs: Number(init.settings.intervalMs), tick: () => loop.tick(), close: () => db.close() }
})
