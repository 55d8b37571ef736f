// A consistent hot copy of the database: VACUUM INTO from one read snapshot, then the copy is
// marked so a server started on it takes a new epoch (SPEC §6: a restored backup gets a new one).

import { Database } from 'bun:sqlite'
import { existsSync, mkdirSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { openSqlite } from './open'
import { RESTORED_KEY } from './epoch'

/** Writes the copy to `target` (which must not exist) and returns its size in bytes. */
export function writeBackup(sourcePath: string, target: string): number {
  if (existsSync(target)) throw new Error(`${target} already exists`)
  mkdirSync(dirname(target), { recursive: true })
  const src = openSqlite(sourcePath, { readonly: true })
  try {
    src.query('VACUUM INTO ?').run(target)
  } finally {
    src.close()
  }
  const copy = new Database(target, { readwrite: true })
  try {
    copy.query('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(RESTORED_KEY, '1')
  } finally {
    copy.close()
  }
  return statSync(target).size
}
