// Upload rows (PostgreSQL): the same methods and meaning as db/sqlite/uploads.ts. Several instances
// share these rows: the quota is one conditional UPDATE of the tenant's usage row (a concurrent
// upload waits for its lock, then re-checks), and every clean-up step claims rows with an UPDATE.

import type { SQL, TransactionSQL } from 'bun'
import { attachmentsRefused } from '../../errors'
import type { DoomedUpload, MessageRow, NewMessage, NewUpload, UploadRow } from '../rows'
import { all, first, numbers } from './rows'

const row = (r: UploadRow | null) => (r ? numbers(r, 'bytes') : null)

/**
 * The attachment steps of an append (db/postgres/messages.ts): `lockLive` before the messages are
 * inserted (it locks the uploads, so a concurrent sweep cannot doom them until COMMIT), `link` after.
 */
export const attachmentSteps = {
  /** Indexes of the items whose uploads are not all live uploads of their sender. */
  async refused(tx: TransactionSQL, items: readonly NewMessage[]): Promise<Set<number>> {
    const bad = new Set<number>()
    for (const [i, m] of items.entries()) {
      if (!m.upload_ids?.length) continue
      const rows = await tx`SELECT upload_id FROM uploads WHERE upload_id = ANY(${[...m.upload_ids]}::text[])
        AND tenant_id = ${m.tenant_id} AND uploader_id = ${m.sender_id} AND deleted_at IS NULL FOR UPDATE`
      if (rows.length !== m.upload_ids.length) bad.add(i)
    }
    return bad
  },
  error: attachmentsRefused,
  async link(tx: TransactionSQL, stored: readonly { row: MessageRow; upload_ids: readonly string[] }[]): Promise<void> {
    for (const { row: m, upload_ids } of stored) {
      if (!upload_ids.length) continue
      await tx`INSERT INTO message_uploads (upload_id, room_id, seq)
        SELECT u, ${m.room_id}, ${m.seq} FROM unnest(${[...upload_ids]}::text[]) AS u ON CONFLICT DO NOTHING`
      await tx`UPDATE uploads SET attached_at = coalesce(attached_at, ${m.created_at}) WHERE upload_id = ANY(${[...upload_ids]}::text[])`
    }
  },
  /** A message is gone: its files are doomed once no other message lists them. */
  async releaseMessage(tx: TransactionSQL, roomId: string, seq: number, at: string): Promise<void> {
    const ids = (await tx`DELETE FROM message_uploads WHERE room_id = ${roomId} AND seq = ${seq} RETURNING upload_id`).map((r: { upload_id: string }) => r.upload_id)
    if (!ids.length) return
    const doomed = await tx`UPDATE uploads u SET deleted_at = ${at}
      WHERE u.upload_id = ANY(${ids}::text[]) AND u.deleted_at IS NULL
        AND NOT EXISTS (SELECT 1 FROM message_uploads m WHERE m.upload_id = u.upload_id)
      RETURNING u.tenant_id, u.bytes`
    await release(tx, doomed)
  },
}

async function release(tx: TransactionSQL, rows: readonly { tenant_id: string; bytes: string | number }[]) {
  for (const r of rows) await tx`UPDATE upload_usage SET uploads = uploads - 1, bytes = bytes - ${Number(r.bytes)} WHERE tenant_id = ${r.tenant_id}`
}

export function createUploadStore(sql: SQL) {
  return {
    async insert(r: NewUpload, quota: number | null): Promise<boolean> {
      return sql.begin(async (tx) => {
        await tx`INSERT INTO upload_usage (tenant_id) VALUES (${r.tenant_id}) ON CONFLICT DO NOTHING`
        const charged = await tx`UPDATE upload_usage SET uploads = uploads + 1, bytes = bytes + ${r.bytes}
          WHERE tenant_id = ${r.tenant_id} AND (${quota}::int8 IS NULL OR bytes + ${r.bytes} <= ${quota}::int8) RETURNING 1`
        if (charged.length !== 1) return false
        await tx`INSERT INTO uploads (upload_id, tenant_id, uploader_id, filename, content_type, bytes, sha256, width, height, storage_key, created_at)
          VALUES (${r.upload_id}, ${r.tenant_id}, ${r.uploader_id}, ${r.filename}, ${r.content_type}, ${r.bytes}, ${r.sha256},
                  ${r.width}, ${r.height}, ${r.storage_key}, ${r.created_at})`
        return true
      })
    },
    get: async (tenantId: string, uploadId: string) =>
      row(first<UploadRow>(await sql`SELECT * FROM uploads WHERE upload_id = ${uploadId} AND tenant_id = ${tenantId} AND deleted_at IS NULL`)),
    getSigned: async (uploadId: string) => row(first<UploadRow>(await sql`SELECT * FROM uploads WHERE upload_id = ${uploadId} AND deleted_at IS NULL`)),
    ownedBy: async (tenantId: string, uploaderId: string, ids: readonly string[]) =>
      all<UploadRow>(
        await sql`SELECT * FROM uploads WHERE upload_id = ANY(${[...ids]}::text[]) AND tenant_id = ${tenantId} AND uploader_id = ${uploaderId} AND deleted_at IS NULL`,
      ).map((r) => row(r)!),
    visibleTo: async (uploadId: string, userId: string) =>
      (await sql`SELECT 1 FROM message_uploads l JOIN members m ON m.room_id = l.room_id AND m.user_id = ${userId}
        WHERE l.upload_id = ${uploadId} LIMIT 1`).length > 0,
    async usage(tenantId: string): Promise<{ uploads: number; bytes: number }> {
      const r = first<{ uploads: string; bytes: string }>(await sql`SELECT uploads, bytes FROM upload_usage WHERE tenant_id = ${tenantId}`)
      return { uploads: Number(r?.uploads ?? 0), bytes: Number(r?.bytes ?? 0) }
    },
    async claimOrphans(beforeIso: string, nowIso: string, limit: number): Promise<number> {
      return sql.begin(async (tx) => {
        const rows = await tx`UPDATE uploads SET deleted_at = ${nowIso} WHERE upload_id IN (
            SELECT upload_id FROM uploads WHERE attached_at IS NULL AND deleted_at IS NULL AND created_at < ${beforeIso}
            ORDER BY created_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
          RETURNING tenant_id, bytes`
        await release(tx, rows)
        return rows.length
      })
    },
    doomed: async (limit: number) =>
      all<DoomedUpload>(await sql`SELECT upload_id, storage_key FROM uploads WHERE deleted_at IS NOT NULL ORDER BY deleted_at LIMIT ${limit}`),
    async purge(uploadIds: readonly string[]): Promise<void> {
      if (uploadIds.length) await sql`DELETE FROM uploads WHERE upload_id = ANY(${[...uploadIds]}::text[]) AND deleted_at IS NOT NULL`
    },
  }
}
