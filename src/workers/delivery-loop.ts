// The delivery loop: due outbox rows → signed HTTP POSTs (10 s timeout, no redirects, private
// addresses refused and the connection pinned to the checked address by the outbound client), a
// circuit breaker and a concurrency share per endpoint, results posted back to the main thread.

import type { Clock } from '../clock'
import type { DeliveryRow } from '../db/rows'
import type { Logger } from '../log'
import type { AttemptResult } from '../services/delivery'
import type { OutboundFetch } from '../services/outbound-fetch'
import { OutboundRefused } from '../services/outbound-url'
import { webhookHeaders } from '../services/signing'

export interface DeliveryLoopDeps {
  /**
   * Read-only access to the outbox and the tenants' webhook secrets (the worker's own connection).
   * `due` returns pending rows due by `now`, oldest first, leaving out rows for the `skipUrls`.
   */
  due(now: number, limit: number, skipUrls: string[]): DeliveryRow[]
  webhookSecret(tenantId: string): string | null
  /** The outbound client (resolves once, checks, pins the connection; tests may pass their own). */
  http: OutboundFetch
  clock: Clock
  log: Logger
  report(result: AttemptResult): void
  settings: {
    circuitFailures: number
    circuitOpenMs: number
    timeoutMs?: number
    /** Attempts in flight at once, over all endpoints (default 32). */
    concurrency?: number
    /** Attempts in flight at once to one endpoint URL (default a quarter of `concurrency`). */
    perEndpoint?: number
  }
}

/** While a probe is in flight, other attempts to its endpoint are postponed by this much. */
const PROBE_WAIT_MS = 1000
/** Due rows read per query. */
const BATCH = 200
/** A posted result the main thread has not applied after this long is taken as lost (at least once). */
const REPORTED_TTL_MS = 30_000

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
  /** Attempts in flight per endpoint URL. */
  const busy = new Map<string, number>()
  // Rows whose result is posted but not yet applied by the main thread (its write is asynchronous
  // to us): skip them until the row we read has changed, so no attempt is made twice. Kept in
  // insertion order so old entries (rows delivered long ago) are pruned from the front.
  const reported = new Map<string, { snap: string; at: number }>()
  const snapshot = (r: DeliveryRow) => `${r.attempts}:${r.next_attempt_at}`
  const timeoutMs = d.settings.timeoutMs ?? 10_000
  // One slow or black-holed endpoint (10 s timeouts until its circuit opens) may hold at most its
  // share of the slots; the rest keep serving every other tenant.
  const concurrency = d.settings.concurrency ?? 32
  const perEndpoint = d.settings.perEndpoint ?? Math.max(1, Math.floor(concurrency / 4))
  /** Due rows read but not yet attempted, oldest first. */
  let candidates: DeliveryRow[] = []
  /** A tick started or new rows arrived since the last read. */
  let needRead = true
  /** The last read returned every due row of the endpoints it did not leave out. */
  let complete = false
  /** Endpoints left out of the last read (they were at their share). */
  let leftOut = new Set<string>()
  let stopping = false
  let pump: (() => void) | null = null

  const circuitOf = (url: string) => {
    let c = circuits.get(url)
    if (!c) circuits.set(url, (c = { failures: 0, openUntil: 0, probing: false }))
    return c
  }

  function refresh() {
    const now = d.clock.now()
    needRead = false
    for (const [id, r] of reported) {
      if (now - r.at < REPORTED_TTL_MS) break
      reported.delete(id)
    }
    // Endpoints at their share are left out of the query, so a backlog of one endpoint larger than
    // BATCH cannot hide every other endpoint's due rows; the rows already read for them are kept.
    const full = new Set([...busy].filter(([, n]) => n >= perEndpoint).map(([url]) => url))
    const rows = d.due(now, BATCH, [...full])
    complete = rows.length < BATCH
    leftOut = full
    const kept = candidates.filter((r) => full.has(r.url))
    candidates = kept.concat(
      rows.filter((r) => {
        if (inFlight.has(r.delivery_id)) return false
        const seen = reported.get(r.delivery_id)
        if (seen?.snap === snapshot(r)) return false
        reported.delete(r.delivery_id)
        return true
      }),
    )
  }

  /** Whether a read could find an eligible row the candidates do not have. */
  function worthReading(): boolean {
    if (needRead || !complete) return true
    for (const url of leftOut) if ((busy.get(url) ?? 0) < perEndpoint) return true
    return false
  }

  /**
   * The next row to attempt: among the due rows, the one whose endpoint has the fewest attempts in
   * flight, below its share. Reads the outbox again only when that could find something new.
   * Called only when a tick starts, an attempt ends or new rows arrive, so it never spins.
   */
  function take(): DeliveryRow | null {
    for (let pass = 0; pass < 2; pass++) {
      let best = -1
      let bestLoad = perEndpoint
      for (let i = 0; i < candidates.length && bestLoad > 0; i++) {
        const load = busy.get(candidates[i].url) ?? 0
        if (load < bestLoad) (best = i), (bestLoad = load)
      }
      if (best >= 0) return candidates.splice(best, 1)[0]
      if (pass === 0 && worthReading()) refresh()
      else break
    }
    return null
  }

  async function run(row: DeliveryRow) {
    try {
      const result = await attempt(row)
      reported.delete(row.delivery_id)
      reported.set(row.delivery_id, { snap: snapshot(row), at: d.clock.now() })
      d.report(result)
    } catch (e) {
      d.log.error('delivery attempt failed', { error: e }) // the row stays pending and is tried again
    }
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
      return { delivery_id: row.delivery_id, outcome: 'failed', error, tenant_id: row.tenant_id }
    }
    const secret = d.webhookSecret(row.tenant_id)
    if (!secret) return fail('TENANT_GONE')
    try {
      const res = await d.http(row.url, {
        method: 'POST',
        headers: webhookHeaders(secret, row.event_id, row.body, d.clock.now()),
        body: row.body,
        signal: AbortSignal.timeout(timeoutMs),
      })
      await res.body?.cancel().catch(() => {})
      if (res.status < 200 || res.status > 299) return fail(`HTTP_${res.status}`)
      c.failures = 0
      c.probing = false
      return { delivery_id: row.delivery_id, outcome: 'ok' }
    } catch (e) {
      if (e instanceof OutboundRefused) return fail(e.code)
      const name = (e as Error)?.name
      return fail(name === 'TimeoutError' || name === 'AbortError' ? 'TIMEOUT' : 'CONNECTION_ERROR')
    }
  }

  return {
    /**
     * Runs attempts until nothing eligible is due: at most `concurrency` at a time and `perEndpoint`
     * per endpoint, refilling as each ends (no batch waits for its slowest call). Resolves with how
     * many were attempted, once none is in flight.
     */
    tick(): Promise<number> {
      if (stopping) return Promise.resolve(0)
      candidates = [] // read afresh
      needRead = true
      return new Promise<number>((resolve) => {
        let attempted = 0
        let active = 0
        const fill = () => {
          while (!stopping && active < concurrency) {
            const row = take()
            if (!row) break
            active++
            attempted++
            inFlight.add(row.delivery_id)
            busy.set(row.url, (busy.get(row.url) ?? 0) + 1)
            void run(row).finally(() => {
              inFlight.delete(row.delivery_id)
              const n = (busy.get(row.url) ?? 1) - 1
              if (n > 0) busy.set(row.url, n)
              else busy.delete(row.url)
              active--
              fill()
            })
          }
          if (active === 0) {
            pump = null
            resolve(attempted)
          }
        }
        pump = fill
        fill()
      })
    },
    /** New rows were committed: a running tick picks them up now. */
    wake() {
      needRead = true
      pump?.()
    },
    /** Start nothing new; the running tick resolves when its attempts in flight end. */
    stop() {
      stopping = true
    },
  }
}
