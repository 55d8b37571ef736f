// The transaction of a data lifecycle step: no wait for fsync, no checkpoint, deleted content zeroed.

import type { Database } from 'bun:sqlite'

/**
 * Runs `fn` as one immediate transaction for the lifecycle's background steps (purge.ts, erase.ts),
 * with two pragmas set for it alone and put back after:
 * - synchronous=NORMAL: the commit does not wait for fsync (WAL keeps commits in order, and the next
 *   FULL commit or checkpoint syncs it too). Each step removes a batch AND records its job's
 *   progress in the same transaction, so a step lost in a power cut is simply done again; meanwhile
 *   the main thread never sits in an fsync for a delete batch (under FULL every step of a
 *   million-row delete would hold the event loop, and the sends behind it, for one fsync).
 * - secure_delete=ON: what the step deletes or blanks is overwritten with zeros in the database
 *   file (cells and freed pages) instead of lingering in free space: erased and expired content is
 *   gone from the file, not merely unreachable (docs/operations.md says what remains: older WAL
 *   frames until the next checkpoint, and backups).
 * - wal_autocheckpoint=0: the step's commit never runs SQLite's automatic checkpoint (copying WAL
 *   frames into the database and syncing it, on this thread: the slowest thing a step could do).
 *   A mass delete writes about 0.5 KB of WAL per row; the lifecycle loop wakes the checkpoint
 *   worker instead (workers/lifecycle-loop.ts afterWrite), which copies them on its own thread.
 * Not inside another transaction.
 */
export function relaxedTransaction(db: Database) {
  const level = db.query<{ synchronous: number }, []>('PRAGMA synchronous')
  const secure = db.query<{ secure_delete: number }, []>('PRAGMA secure_delete')
  const autocheckpoint = db.query<{ wal_autocheckpoint: number }, []>('PRAGMA wal_autocheckpoint')
  return <T>(fn: () => T): T => {
    const wasSync = level.get()!.synchronous
    const wasSecure = secure.get()!.secure_delete
    const wasAuto = autocheckpoint.get()!.wal_autocheckpoint
    if (wasSync > 1) db.exec('PRAGMA synchronous = NORMAL')
    if (wasSecure !== 1) db.exec('PRAGMA secure_delete = ON')
    if (wasAuto !== 0) db.exec('PRAGMA wal_autocheckpoint = 0')
    try {
      return db.transaction(fn).immediate()
    } finally {
      if (wasAuto !== 0) db.exec(`PRAGMA wal_autocheckpoint = ${wasAuto}`)
      if (wasSecure !== 1) db.exec(`PRAGMA secure_delete = ${wasSecure === 2 ? 'FAST' : 'OFF'}`)
      if (wasSync > 1) db.exec(`PRAGMA synchronous = ${wasSync}`)
    }
  }
}
