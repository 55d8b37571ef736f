// The delivery loop: due outbox rows → signed HTTP POSTs (10 s timeout, no redirects, private
// addresses refused), a circuit breaker per endpoint, results posted back to the main thread.

import type { Clock } from '../clock'
import type { DeliveryRow } from '../db/sqlite/deliveries'
import type { Logger } from '../log'
import type { AttemptResult } from '../services/delivery'
import { outboundBlockReason } from '../services/outbound-url'
import { webhookHeaders } from '../services/signing'

export interface DeliveryLoopDeps {
  /** Read-only access to the outbox and the tenants' webhook secrets (the worker's own connection). */
  due(now: number, limit: number): DeliveryRow[]
  webhookSecret(tenantId: string): string | null
  /** The HTTP client (fetch in production; tests may pass their own). */
  http: typeof fetch
  clock: Clock
  log: Logger
  report(result: AttemptResult): void
  settings: { circuitFailures: number; circuitOpenMs: number; allowPrivate: boolean; timeoutMs?: number; concurrency?: number }
}

/** While a probe is in flight, other attempts to its endpoint are postponed by this much. */
const PROBE_WAIT_MS = 1000

interface Circuit {
  failures: number
  openUntil: number
  probing: boolean
}

/**
 * Circuit policy (SPEC §6): after `circuitFailures` failures in a row an endpoint is open for
 * `circuitOpenMs`; attempts due meanwhile are skipped (and do not count). When the time is up one
 * probe goes through: success closes the circuit, failure opens it again.
 */
export function createDeliveryLoop(d: DeliveryLoopDeps) {
  const circuits = new Map<string, Circuit>()
  const inFlight = new Set<string>()
  // Rows whose result is posted but not yet applied by the main thread (its write is asynchronous
  // to us): skip them until the row we read has changed, so no attempt is made twice.
  const reported = new Map<string, string>()
  const snapshot = (r: DeliveryRow) => `${r.attempts}:${r.next_attempt_at}`
  const timeoutMs = d.settings.timeoutMs ?? 10_000
  const concurrency = d.settings.concurrency ?? 8

  const circuitOf = (url: string) => {
    let c = circuits.get(url)
    if (!c) circuits.set(url, (c = { failures: 0, openUntil: 0, probing: false }))
    return c
  }

  async function attempt(row: DeliveryRow): Promise<AttemptResult> {
    const c = circuitOf(row.url)
    const now = d.clock.now()
    if (c.failures >= d.settings.circuitFailures) {
      // Open: wait exactly until the probe may go. Probing: look again shortly (the probe may take up to the timeout).
      if (now < c.openUntil) return { delivery_id: row.delivery_id, outcome: 'skipped', retry_at: c.openUntil }
      if (c.probing) return { delivery_id: row.delivery_id, outcome: 'skipped', retry_at: now + PROBE_WAIT_MS }
      c.probing = true
    }
    const fail = (error: string): AttemptResult => {
      c.failures++
      c.probing = false
      if (c.failures >= d.settings.circuitFailures) c.openUntil = d.clock.now() + d.settings.circuitOpenMs
      return { delivery_id: row.delivery_id, outcome: 'failed', error }
    }
    const blocked = await outboundBlockReason(row.url, d.settings.allowPrivate)
    if (blocked) return fail(blocked)
    const secret = d.webhookSecret(row.tenant_id)
    if (!secret) return fail('TENANT_GONE')
    try {
      const res = await d.http(row.url, {
        method: 'POST',
        headers: webhookHeaders(secret, row.event_id, row.body, d.clock.now()),
        body: row.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      })
      await res.body?.cancel().catch(() => {})
      if (res.status < 200 || res.status > 299) return fail(`HTTP_${res.status}`)
      c.failures = 0
      c.probing = false
      return { delivery_id: row.delivery_id, outcome: 'ok' }
    } catch (e) {
      const name = (e as Error)?.name
      return fail(name === 'TimeoutError' || name === 'AbortError' ? 'TIMEOUT' : 'CONNECTION_ERROR')
    }
  }

  return {
    /** One batch: every due row not already in flight, at most `concurrency` at a time. Returns how many ran. */
    async tick(): Promise<number> {
      const rows = d.due(d.clock.now(), 100).filter((r) => {
        if (inFlight.has(r.delivery_id)) return false
        const seen = reported.get(r.delivery_id)
        if (seen === snapshot(r)) return false
        reported.delete(r.delivery_id)
        return true
      })
      let i = 0
      const next = async (): Promise<void> => {
        const row = rows[i++]
        if (!row) return
        inFlight.add(row.delivery_id)
        try {
          const result = await attempt(row)
          reported.set(row.delivery_id, snapshot(row))
          d.report(result)
        } finally {
          inFlight.delete(row.delivery_id)
        }
        return next()
      }
      await Promise.all(Array.from({ length: Math.min(concurrency, rows.length) }, next))
      return rows.length
    },
    circuitState: (url: string) => ({ ...circuitOf(url) }),
  }
}
