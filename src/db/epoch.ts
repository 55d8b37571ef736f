// The database epoch (SPEC §6): a new one after an unclean stop in NORMAL mode or for a restored
// backup, so clients drop cursors that may point past a seq the database no longer has.

import type { Database } from 'bun:sqlite'
import { randomBase62 } from '../ids'

const get = (db: Database, key: string) =>
  db.query<{ value: string }, [string]>('SELECT value FROM meta WHERE key = ?').get(key)?.value ?? null
const set = (db: Database, key: string, value: string) =>
  db.query('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value)

/** Meta key a backup sets in its copy, so a server started on a restored file takes a new epoch. */
export const RESTORED_KEY = 'restored_from_backup'

/**
 * Decides and records the epoch at start-up, before serving. Under NORMAL the newest commits may be
 * lost on power failure, so a run that did not reach markCleanStop() leaves `clean_stop = 0` and the
 * next start takes a new epoch. The decision is committed with synchronous=FULL whatever the mode.
 */
export function startEpoch(db: Database, mode: 'FULL' | 'NORMAL'): { epoch: string; changed: boolean; reason: string | null } {
  const current = get(db, 'epoch')
  const uncleanNormal = get(db, 'clean_stop') === '0' && get(db, 'sync_mode') === 'NORMAL'
  const restored = get(db, RESTORED_KEY) === '1'
  const reason = !current ? 'new database' : restored ? 'restored backup' : uncleanNormal ? 'unclean stop under NORMAL' : null
  const epoch = reason ? randomBase62(16) : current!
  db.exec('PRAGMA synchronous = FULL')
  db.transaction(() => {
    set(db, 'epoch', epoch)
    set(db, 'clean_stop', '0')
    set(db, 'sync_mode', mode)
    db.query('DELETE FROM meta WHERE key = ?').run(RESTORED_KEY)
  }).immediate()
  db.exec(`PRAGMA synchronous = ${mode}`)
  return { epoch, changed: reason !== null, reason }
}

/** Records a clean stop (called last, after the final checkpoint). */
export function markCleanStop(db: Database): void {
  db.exec('PRAGMA synchronous = FULL')
  set(db, 'clean_stop', '1')
}
