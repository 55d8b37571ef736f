// Background writes that may be lost in a power cut commit without waiting for fsync.

import type { Database } from 'bun:sqlite'

/**
 * Runs `fn` as one immediate transaction whose commit does not wait for fsync (synchronous=NORMAL
 * for this transaction only; WAL keeps commits in order, and the next FULL commit or checkpoint
 * syncs it too). For the lifecycle's background steps (purge.ts, erase.ts): each removes a batch
 * AND records its job's progress in the same transaction, so a step lost in a power cut is simply
 * done again; meanwhile the main thread never sits in an fsync for a delete batch (under FULL every
 * step of a million-row delete would hold the event loop, and the sends behind it, for one fsync).
 * Not inside another transaction.
 */
export function relaxedTransaction(db: Database) {
  const level = db.query<{ synchronous: number }, []>('PRAGMA synchronous')
  return <T>(fn: () => T): T => {
    const was = level.get()!.synchronous
    if (was <= 1) return db.transaction(fn).immediate() // NORMAL or OFF already
    db.exec('PRAGMA synchronous = NORMAL')
    try {
      return db.transaction(fn).immediate()
    } finally {
      db.exec(`PRAGMA synchronous = ${was}`)
    }
  }
}
