// The audit log (SPEC §14): who did which moderation or admin action, to what, and when. Each
// service records its action right after the action committed and before it answers, so a caller
// that got its answer finds the entry. `data` is built by the caller from non-secret values only;
// `record` also drops any key that names a secret, as a second line of defence.

import type { Clock } from '../clock'
import type { Store } from '../db/types'
import { toAuditEntry } from '../db/moderation-rows'
import { randomBase62 } from '../ids'
import type { AuditEntry } from '../schemas/moderation'
import type { TenantConfig } from '../schemas/tenant'
import { parseLimit } from './input'
import { requireKey } from './key-only'

/** Keys whose values are never written to the log, at any depth. */
const SECRET_KEY = /secret|api_key|apikey|token|password|authorization/i

export interface AuditInput {
  tenant_id: string | null
  /** A user id, `api_key` or `admin`. */
  actor: string
  action: string
  target: string | null
  data?: Record<string, unknown>
}

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const base62 = (n: number, width: number) => {
  let out = ''
  for (let i = 0; i < width; i++, n = Math.floor(n / 62)) out = B62[n % 62] + out
  return out
}

/**
 * `aud_` + the time (8 base62 digits) + a counter of this process (4) + 12 random characters (≈71
 * bits): entries of one millisecond sort in the order they were recorded, since the log lists by
 * (created_at, audit_id).
 */
function auditIds() {
  let counter = 0
  return (ms: number) => `aud_${base62(ms, 8)}${base62(counter++ % 62 ** 4, 4)}${randomBase62(12)}`
}

function withoutSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutSecrets)
  if (!v || typeof v !== 'object') return v
  return Object.fromEntries(Object.entries(v).filter(([k]) => !SECRET_KEY.test(k)).map(([k, x]) => [k, withoutSecrets(x)]))
}

/** A URL as the log may show it: scheme, host and path (a query string can carry a credential). */
const urlShown = (u: unknown) => {
  if (typeof u !== 'string') return u
  try {
    const url = new URL(u)
    return `${url.protocol}//${url.host}${url.pathname}`
  } catch {
    return null
  }
}

/** What a config change says in the log: the keys set, URLs without their query, the blocklist's size. */
export function auditedConfig(cfg: TenantConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { ...cfg }
  if ('webhook_url' in cfg) out.webhook_url = urlShown(cfg.webhook_url)
  if ('presend_url' in cfg) out.presend_url = urlShown(cfg.presend_url)
  if (cfg.blocklist) out.blocklist = { terms: cfg.blocklist.terms.length, action: cfg.blocklist.action }
  return out
}

export function createAuditLog({ store, clock }: { store: Store; clock: Clock }) {
  const page = async (tenantId: string | undefined, q: { limit?: string; cursor?: string }) => {
    const r = await store.audit.page(tenantId, parseLimit(q.limit), q.cursor)
    return { entries: r.rows.map(toAuditEntry) as AuditEntry[], next_cursor: r.next_cursor }
  }
  const nextId = auditIds()
  return {
    async record(e: AuditInput): Promise<void> {
      const now = clock.now()
      await store.audit.insert({
        audit_id: nextId(now),
        tenant_id: e.tenant_id,
        actor: e.actor,
        action: e.action,
        target: e.target,
        data: JSON.stringify(withoutSecrets(e.data ?? {})),
        created_at: new Date(now).toISOString(),
      })
    },
    /** GET /v1/moderation/audit: the caller's tenant's entries, newest first (API key only). */
    forTenant(caller: { tenant: { tenant_id: string }; via: 'key' | 'token' }, q: { limit?: string; cursor?: string }) {
      requireKey(caller)
      return page(caller.tenant.tenant_id, q)
    },
    /** GET /v1/admin/audit: every entry, or one tenant's. */
    forAdmin: (q: { tenant_id?: string; limit?: string; cursor?: string }) => page(q.tenant_id || undefined, q),
  }
}

export type AuditLog = ReturnType<typeof createAuditLog>
