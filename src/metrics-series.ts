// Per-tenant time series for the admin console's charts (SPEC §16, GET /v1/admin/stats): the same
// increments as the Prometheus counters of src/metrics.ts, kept here by tenant in fixed-size rings.
// /metrics never sees a tenant id; this store is the only place that keys anything by tenant, and it
// is in memory on each instance (a restart starts the charts afresh).

import type { Clock } from './clock'

export const SERIES_NAMES = ['messages', 'deliveries', 'connections', 'http_requests', 'http_errors', 'rate_limited', 'webhook_failures'] as const
export type SeriesName = (typeof SERIES_NAMES)[number]

/**
 * One ring per window: 15 m at 10 s (90 points), 1 h at 60 s (60 points), 24 h at 10 min (144
 * points). Every increment goes to all three, so each window is exact at its own step and none is
 * derived from another (a 24 h ring at 10 s would be 8,640 points per series per tenant).
 */
export const WINDOWS = {
  '15m': { step_s: 10, points: 90 },
  '1h': { step_s: 60, points: 60 },
  '24h': { step_s: 600, points: 144 },
} as const
export type StatsWindow = keyof typeof WINDOWS

const RINGS = Object.values(WINDOWS)
const POINTS_PER_SERIES = RINGS.reduce((n, r) => n + r.points, 0) // 294
const SLOTS = POINTS_PER_SERIES * SERIES_NAMES.length // 2,058
const SERIES_INDEX = Object.fromEntries(SERIES_NAMES.map((n, i) => [n, i])) as Record<SeriesName, number>
const CONNECTIONS = SERIES_INDEX.connections
const MAX_COUNT = 0xffffffff

/** Bytes of ring data per tracked tenant: 2,058 uint32 slots. */
export const BYTES_PER_TENANT = SLOTS * Uint32Array.BYTES_PER_ELEMENT // 8,232
/** Tenants tracked at once by default; past it the least recently active is dropped (about 8.4 MB of rings). */
export const DEFAULT_MAX_TENANTS = 1000

/** The rings of one tenant (or of the instance's totals), with the step each ring's head is at. */
interface Track {
  slots: Uint32Array
  heads: number[]
  /** The 10 s step in which this track last moved to the back of the eviction order. */
  touched: number
}

export interface StatsAnswer {
  step_s: number
  /** Start of the first point (ISO 8601); point i covers [start + i·step_s, start + (i+1)·step_s). */
  start: string
  /** False when the tenant has no ring (no activity on this instance lately): every point is 0. */
  tracked: boolean
  series: Record<SeriesName, number[]>
}

export function createTenantSeries(o: { clock: Clock; maxTenants?: number }) {
  const { clock } = o
  const maxTenants = Math.max(1, o.maxTenants ?? DEFAULT_MAX_TENANTS)
  /** Insertion order is the eviction order: a track is moved to the end at most once per 10 s step. */
  const tracks = new Map<string, Track>()
  const totals = newTrack(-1)
  /** Live sockets of this instance per tenant (only tenants with some), and their sum. */
  const live = new Map<string, number>()
  let liveTotal = 0

  function newTrack(touched: number): Track {
    return { slots: new Uint32Array(SLOTS), heads: RINGS.map(() => -1), touched }
  }

  /**
   * Moves each ring's head to the step of `now`, clearing the slots it passes. A gauge (connections)
   * starts each new step at the current level, so a quiet stretch reads as "still N connected".
   */
  function advance(t: Track, now: number, level: number) {
    let base = 0
    for (let r = 0; r < RINGS.length; r++) {
      const { step_s, points } = RINGS[r]
      const step = Math.floor(now / 1000 / step_s)
      const head = t.heads[r]
      if (step > head) {
        const from = head < 0 || step - head > points ? step - points + 1 : head + 1
        for (let s = from; s <= step; s++) {
          const slot = base + (s % points)
          for (let k = 0; k < SERIES_NAMES.length; k++) t.slots[k * POINTS_PER_SERIES + slot] = k === CONNECTIONS ? level : 0
        }
        t.heads[r] = step
      }
      base += points
    }
  }

  function trackOf(tenantId: string, now: number): Track {
    const step = Math.floor(now / 10_000)
    let t = tracks.get(tenantId)
    if (t) {
      if (t.touched !== step) {
        tracks.delete(tenantId)
        tracks.set(tenantId, t)
        t.touched = step
      }
      return t
    }
    if (tracks.size >= maxTenants) tracks.delete(tracks.keys().next().value!)
    t = newTrack(step)
    tracks.set(tenantId, t)
    return t
  }

  /** Adds `n` to the current point of every ring of series `k` (counters). */
  function bump(t: Track, k: number, n: number) {
    let base = k * POINTS_PER_SERIES
    for (let r = 0; r < RINGS.length; r++) {
      const i = base + (t.heads[r] % RINGS[r].points)
      t.slots[i] = Math.min(MAX_COUNT, t.slots[i] + n)
      base += RINGS[r].points
    }
  }

  /** Raises the current point of every ring to `level` if it is higher (the connections gauge: peak per step). */
  function peak(t: Track, level: number) {
    let base = CONNECTIONS * POINTS_PER_SERIES
    for (let r = 0; r < RINGS.length; r++) {
      const i = base + (t.heads[r] % RINGS[r].points)
      if (t.slots[i] < level) t.slots[i] = level
      base += RINGS[r].points
    }
  }

  function read(t: Track | undefined, window: StatsWindow, now: number): StatsAnswer {
    const r = RINGS.indexOf(WINDOWS[window])
    const { step_s, points } = WINDOWS[window]
    const base = RINGS.slice(0, r).reduce((n, x) => n + x.points, 0)
    const step = Math.floor(now / 1000 / step_s)
    const first = step - points + 1
    const series = {} as Record<SeriesName, number[]>
    for (let k = 0; k < SERIES_NAMES.length; k++) {
      const out = new Array<number>(points)
      for (let i = 0; i < points; i++) out[i] = t ? t.slots[k * POINTS_PER_SERIES + base + ((first + i) % points)] : 0
      series[SERIES_NAMES[k]] = out
    }
    return { step_s, start: new Date(first * step_s * 1000).toISOString(), tracked: t !== undefined, series }
  }

  return {
    /** Counts `n` for the tenant (null: not a tenant's, e.g. an admin call: totals only). */
    add(tenantId: string | null, name: SeriesName, n = 1) {
      if (n <= 0) return
      const now = clock.now()
      const k = SERIES_INDEX[name]
      advance(totals, now, liveTotal)
      bump(totals, k, n)
      if (tenantId === null) return
      const t = trackOf(tenantId, now)
      advance(t, now, live.get(tenantId) ?? 0)
      bump(t, k, n)
    },

    /** The tenant now has `count` live sockets on this instance (after a connect or a disconnect). */
    connections(tenantId: string, count: number) {
      const now = clock.now()
      liveTotal += count - (live.get(tenantId) ?? 0)
      if (count > 0) live.set(tenantId, count)
      else live.delete(tenantId)
      advance(totals, now, liveTotal)
      peak(totals, liveTotal)
      const t = trackOf(tenantId, now)
      advance(t, now, count)
      peak(t, count)
    },

    /** The window's points for one tenant, or the instance's totals when tenantId is null. */
    read(tenantId: string | null, window: StatsWindow): StatsAnswer {
      const now = clock.now()
      if (tenantId === null) {
        advance(totals, now, liveTotal)
        return { ...read(totals, window, now), tracked: true }
      }
      const t = tracks.get(tenantId)
      if (t) advance(t, now, live.get(tenantId) ?? 0)
      return read(t, window, now)
    },

    /** Tenants with rings now (at most maxTenants). */
    trackedTenants: () => tracks.size,
  }
}

export type TenantSeries = ReturnType<typeof createTenantSeries>
