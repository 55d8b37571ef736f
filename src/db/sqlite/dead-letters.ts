// Dead letters: deliveries that exhausted their retries, listed and retried through the admin API.

import type { Database } from 'bun:sqlite'
import type { DeadLetterRow } from '../rows'

export function createDeadLetterStore(db: Database) {
  const insert = db.query(
    `INSERT INTO dead_letters (id, kind, tenant_id, target, ref_id, from_seq, to_seq, delivery_id, attempts, last_error, created_at, last_attempt_at)
     VALUES ($id, $kind, $tenant_id, $target, $ref_id, $from_seq, $to_seq, $delivery_id, $attempts, $last_error, $created_at, $last_attempt_at)
     ON CONFLICT DO NOTHING`,
  )
  const get = db.query<DeadLetterRow, [string]>('SELECT * FROM dead_letters WHERE id = ?')
  const del = db.query('DELETE FROM dead_letters WHERE id = ?')
  const byDelivery = db.query('DELETE FROM dead_letters WHERE delivery_id = ?')
  const messageLetters = db.query<DeadLetterRow, []>("SELECT * FROM dead_letters WHERE kind = 'message' LIMIT 10000")
  const count = db.query<{ n: number }, []>('SELECT count(*) AS n FROM dead_letters')
  return {
    insert: (row: DeadLetterRow) => void insert.run(row as unknown as Record<string, string | number | null>),
    get: (id: string) => get.get(id),
    delete: (id: string) => del.run(id).changes > 0,
    deleteForDelivery: (deliveryId: string) => void byDelivery.run(deliveryId),
    /** Filtered list, newest first. */
    list(f: { tenant_id?: string; kind?: string; limit: number }): DeadLetterRow[] {
      const where: string[] = []
      const args: (string | number)[] = []
      if (f.tenant_id) where.push('tenant_id = ?'), args.push(f.tenant_id)
      if (f.kind) where.push('kind = ?'), args.push(f.kind)
      const sql = `SELECT * FROM dead_letters ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY created_at DESC, id LIMIT ?`
      return db.query<DeadLetterRow, (string | number)[]>(sql).all(...args, f.limit)
    },
    messageLetters: () => messageLetters.all(),
    count: () => count.get()?.n ?? 0,
  }
}
