// Upload rows (SPEC §12): metadata of stored files, per-tenant usage with the quota check, download
// access through the messages that list a file, and the clean-up steps (orphans, doomed files).

import type { Database } from 'bun:sqlite'
import { attachmentsRefused } from '../../errors'
import type { DoomedUpload, NewUpload, UploadRow } from '../rows'

/**
 * The attachment steps of a message append and a tombstone, run inside those transactions
 * (db/sqlite/messages.ts): the uploads must still be live when the message is stored, and a
 * deleted message lets go of its files.
 */
export function createAttachmentSteps(db: Database) {
  const live = db.query<{ n: number }, [string, string, string]>(
    `SELECT count(*) AS n FROM json_each(?1) j JOIN uploads u ON u.upload_id = j.value
     WHERE u.tenant_id = ?2 AND u.uploader_id = ?3 AND u.deleted_at IS NULL`,
  )
  const link = db.query('INSERT OR IGNORE INTO message_uploads (upload_id, room_id, seq) VALUES (?, ?, ?)')
  const attached = db.query('UPDATE uploads SET attached_at = coalesce(attached_at, ?) WHERE upload_id = ?')
  const linked = db.query<{ upload_id: string }, [string, number]>('SELECT upload_id FROM message_uploads WHERE room_id = ? AND seq = ?')
  const unlink = db.query('DELETE FROM message_uploads WHERE room_id = ? AND seq = ?')
  const doom = db.query<{ tenant_id: string; bytes: number }, [string, string]>(
    `UPDATE uploads SET deleted_at = ?1 WHERE upload_id = ?2 AND deleted_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM message_uploads m WHERE m.upload_id = ?2)
     RETURNING tenant_id, bytes`,
  )
  const release = db.query('UPDATE upload_usage SET uploads = uploads - 1, bytes = bytes - ? WHERE tenant_id = ?')
  return {
    /** Throws the attachments 400 unless every id is a live upload of this sender in this tenant. */
    requireLive(tenantId: string, senderId: string, uploadIds: readonly string[]): void {
      if (!uploadIds.length) return
      const n = live.get(JSON.stringify(uploadIds), tenantId, senderId)?.n ?? 0
      if (n !== uploadIds.length) throw attachmentsRefused()
    },
    link(uploadIds: readonly string[], roomId: string, seq: number, at: string): void {
      for (const id of uploadIds) {
        link.run(id, roomId, seq)
        attached.run(at, id)
      }
    },
    /** A message is gone: its files are doomed once no other message lists them. Returns how many. */
    releaseMessage(roomId: string, seq: number, at: string): number {
      const ids = linked.all(roomId, seq).map((r) => r.upload_id)
      if (!ids.length) return 0
      unlink.run(roomId, seq)
      let doomed = 0
      for (const id of ids) {
        const row = doom.get(at, id)
        if (row) {
          release.run(row.bytes, row.tenant_id)
          doomed++
        }
      }
      return doomed
    },
  }
}

export function createUploadStore(db: Database) {
  const ensureUsage = db.query('INSERT OR IGNORE INTO upload_usage (tenant_id) VALUES (?)')
  const charge = db.query(
    'UPDATE upload_usage SET uploads = uploads + 1, bytes = bytes + ?1 WHERE tenant_id = ?2 AND (?3 IS NULL OR bytes + ?1 <= ?3)',
  )
  const insert = db.query(
    `INSERT INTO uploads (upload_id, tenant_id, uploader_id, filename, content_type, bytes, sha256, width, height, storage_key, created_at)
     VALUES ($upload_id, $tenant_id, $uploader_id, $filename, $content_type, $bytes, $sha256, $width, $height, $storage_key, $created_at)`,
  )
  const byId = db.query<UploadRow, [string, string]>('SELECT * FROM uploads WHERE upload_id = ? AND tenant_id = ? AND deleted_at IS NULL')
  const byIdAnyTenant = db.query<UploadRow, [string]>('SELECT * FROM uploads WHERE upload_id = ? AND deleted_at IS NULL')
  const owned = db.query<UploadRow, [string, string, string]>(
    `SELECT u.* FROM json_each(?1) j JOIN uploads u ON u.upload_id = j.value
     WHERE u.tenant_id = ?2 AND u.uploader_id = ?3 AND u.deleted_at IS NULL`,
  )
  const visible = db.query<{ ok: number }, [string, string]>(
    `SELECT 1 AS ok FROM message_uploads l JOIN members m ON m.room_id = l.room_id AND m.user_id = ?2
     WHERE l.upload_id = ?1 LIMIT 1`,
  )
  const usage = db.query<{ uploads: number; bytes: number }, [string]>('SELECT uploads, bytes FROM upload_usage WHERE tenant_id = ?')
  const orphans = db.query<{ upload_id: string; tenant_id: string; bytes: number }, [string, string, number]>(
    `UPDATE uploads SET deleted_at = ?1 WHERE upload_id IN (
       SELECT upload_id FROM uploads WHERE attached_at IS NULL AND deleted_at IS NULL AND created_at < ?2 ORDER BY created_at LIMIT ?3)
     RETURNING upload_id, tenant_id, bytes`,
  )
  const release = db.query('UPDATE upload_usage SET uploads = uploads - 1, bytes = bytes - ? WHERE tenant_id = ?')
  const doomed = db.query<DoomedUpload, [number]>(
    'SELECT upload_id, storage_key FROM uploads WHERE deleted_at IS NOT NULL ORDER BY deleted_at LIMIT ?',
  )
  const purge = db.query('DELETE FROM uploads WHERE upload_id = ? AND deleted_at IS NOT NULL')

  return {
    /**
     * Stores the row and charges the tenant's usage in one transaction; false (nothing stored) when
     * the tenant's storage would pass `quota` bytes (null: no quota).
     */
    insert(row: NewUpload, quota: number | null): boolean {
      return db.transaction(() => {
        ensureUsage.run(row.tenant_id)
        if (charge.run(row.bytes, row.tenant_id, quota).changes !== 1) return false
        insert.run(row as unknown as Record<string, string | number | null>)
        return true
      }).immediate()
    },
    get: (tenantId: string, uploadId: string) => byId.get(uploadId, tenantId),
    /** The live upload with this id in any tenant (a signed URL names no tenant: the signature vouches). */
    getSigned: (uploadId: string) => byIdAnyTenant.get(uploadId),
    /** The live uploads among `ids` that this user uploaded in this tenant. */
    ownedBy: (tenantId: string, uploaderId: string, ids: readonly string[]) => owned.all(JSON.stringify(ids), tenantId, uploaderId),
    /** True when the user is a member of a room with a message that lists the upload. */
    visibleTo: (uploadId: string, userId: string) => visible.get(uploadId, userId) !== null,
    usage: (tenantId: string) => usage.get(tenantId) ?? { uploads: 0, bytes: 0 },
    /** Dooms up to `limit` uploads created before `beforeIso` that no message ever listed. */
    claimOrphans(beforeIso: string, nowIso: string, limit: number): number {
      return db.transaction(() => {
        const rows = orphans.all(nowIso, beforeIso, limit)
        for (const r of rows) release.run(r.bytes, r.tenant_id)
        return rows.length
      }).immediate()
    },
    /** Doomed uploads whose files are still to be removed, oldest first. */
    doomed: (limit: number) => doomed.all(limit),
    /** Deletes the rows of doomed uploads whose files are gone. */
    purge(uploadIds: readonly string[]): void {
      db.transaction(() => {
        for (const id of uploadIds) purge.run(id)
      }).immediate()
    },
  }
}
