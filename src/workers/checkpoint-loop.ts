// WAL checkpoint loop, run in the checkpoint worker on its own connection.

import type { Database } from 'bun:sqlite'

/**
 * Checkpoint policy (SPEC §6, PERF-NOTES §1), in one place:
 * - SQLite's own autocheckpoint (1,000 pages) stays ON for the main connection as the safety net
 *   that bounds the WAL even while this worker is down or restarting.
 * - Every WAL_CHECKPOINT_INTERVAL_MS this worker runs a PASSIVE checkpoint: it copies what it can
 *   without blocking the writer or waiting for readers.
 * - It then reports the WAL file size; past WAL_CHECKPOINT_BYTES the MAIN thread runs a TRUNCATE
 *   checkpoint between group commits (TRUNCATE blocks writers, so only the single writer may run it,
 *   when no transaction is open), which rewinds the WAL to zero bytes. It never waits for readers
 *   (busy_timeout 0 for that one statement): one that meets a worker's read or a backup copies what
 *   it can and returns, and the next report tries again, so the event loop never sleeps on it.
 * - A final TRUNCATE runs at shutdown.
 */
export function createCheckpointLoop(d: { db: Database; walBytes(): number; report(bytes: number): void }) {
  return {
    tick(): { busy: number; log: number; checkpointed: number; walBytes: number } {
      const r = d.db.query<{ busy: number; log: number; checkpointed: number }, []>('PRAGMA wal_checkpoint(PASSIVE)').get()!
      const walBytes = d.walBytes()
      d.report(walBytes)
      return { ...r, walBytes }
    },
  }
}
