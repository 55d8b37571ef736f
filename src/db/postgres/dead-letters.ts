// Dead letters (PostgreSQL): deliveries that exhausted their retries, listed and retried through the admin API.

import type { SQL } from 'bun'
import type { DeadLetterRow } from '../rows'
import { all, first } from './rows'

export function createDeadLetterStore(sql: SQL) {
  return {
    insert: async (r: DeadLetterRow) =>
      void (await sql`
        INSERT INTO dead_letters (id, kind, tenant_id, target, ref_id, from_seq, to_seq, delivery_id, attempts, last_error, created_at, last_attempt_at)
        VALUES (${r.id}, ${r.kind}, ${r.tenant_id}, ${r.target}, ${r.ref_id}, ${r.from_seq}::int, ${r.to_seq}::int, ${r.delivery_id}::text,
                ${r.attempts}, ${r.last_error}::text, ${r.created_at}, ${r.last_attempt_at}::text)
        ON CONFLICT DO NOTHING`),
    get: async (id: string) => first<DeadLetterRow>(await sql`SELECT * FROM dead_letters WHERE id = ${id}`),
    delete: async (id: string) => (await sql`DELETE FROM dead_letters WHERE id = ${id}`).count > 0,
    deleteForDelivery: async (deliveryId: string) => void (await sql`DELETE FROM dead_letters WHERE delivery_id = ${deliveryId}`),
    /** Filtered list, newest first. */
    list: async (f: { tenant_id?: string; kind?: string; limit: number }) =>
      all<DeadLetterRow>(await sql`
        SELECT * FROM dead_letters
        WHERE true ${f.tenant_id ? sql`AND tenant_id = ${f.tenant_id}` : sql``} ${f.kind ? sql`AND kind = ${f.kind}` : sql``}
        ORDER BY created_at DESC, id LIMIT ${f.limit}`),
    messageLetters: async () => all<DeadLetterRow>(await sql`SELECT * FROM dead_letters WHERE kind = 'message' LIMIT 10000`),
    count: async () => Number((await sql`SELECT count(*) AS n FROM dead_letters`)[0].n),
  }
}
