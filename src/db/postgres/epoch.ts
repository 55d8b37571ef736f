// The database epoch (SPEC §6) on PostgreSQL: the same meta keys and answers as db/epoch.ts.

import type { SQL } from 'bun'
import { randomBase62 } from '../../ids'
import { RESTORED_KEY } from '../epoch'

/**
 * Decides and records the epoch at start-up, before serving. PostgreSQL acknowledges a commit only
 * once it is durable, so an unclean stop never loses acknowledged messages and does not change the
 * epoch: only a new database or a restored one does (a restored backup, or a `chatapi copy-db`
 * import, which sets the RESTORED_KEY meta row). N instances may start together: the decision runs
 * in one transaction under an advisory lock, so they all agree on one epoch (the first takes the
 * new one and clears the restored mark, the others then find it). `clean_stop` and `sync_mode` are
 * kept for parity with the SQLite store; they decide nothing here.
 */
export async function startEpoch(sql: SQL): Promise<{ epoch: string; changed: boolean; reason: string | null }> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${0x43484154}::int4, ${0x45504f43}::int4)`
    const rows = await tx`SELECT key, value FROM meta WHERE key IN ('epoch', ${RESTORED_KEY})`
    const get = (k: string) => (rows as { key: string; value: string }[]).find((r) => r.key === k)?.value ?? null
    const current = get('epoch')
    const restored = get(RESTORED_KEY) === '1'
    const reason = !current ? 'new database' : restored ? 'restored backup' : null
    const epoch = reason ? randomBase62(16) : current!
    const values = [
      ['epoch', epoch],
      ['clean_stop', '0'],
      ['sync_mode', 'FULL'],
    ]
    for (const [key, value] of values)
      await tx`INSERT INTO meta (key, value) VALUES (${key}, ${value}) ON CONFLICT (key) DO UPDATE SET value = excluded.value`
    await tx`DELETE FROM meta WHERE key = ${RESTORED_KEY}`
    return { epoch, changed: reason !== null, reason }
  })
}

/** Records a clean stop (informational with several instances: the last one to stop writes it). */
export async function markCleanStop(sql: SQL): Promise<void> {
  await sql`INSERT INTO meta (key, value) VALUES ('clean_stop', '1') ON CONFLICT (key) DO UPDATE SET value = excluded.value`
}
