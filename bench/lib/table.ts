// Formatting of the bench's summary table (one row per scenario phase) and small number helpers.

import type { Phase } from './types'

export const fmt = (x: unknown) => (x === null || x === undefined ? '-' : typeof x === 'number' ? (Number.isInteger(x) ? String(x) : x.toFixed(2)) : String(x))
export const mb = (b: number | null) => (b === null ? 'n/a' : (b / 2 ** 20).toFixed(1))
export const errCount = (e: Record<string, number> | undefined) => Object.values(e ?? {}).reduce((a, b) => a + b, 0)
export function phaseThroughput(s: string, p: Phase): [number | null, string] {
  if (s === 'fanout-1000') return [p.deliveries_per_s, 'deliveries/s']
  if (s === 'noisy-neighbour') return [p.ok_per_s ?? null, 'victim req/s']
  if (s === 'delivery-busy') return [p.delivered_per_s, 'deliveries/s']
  if (p.persisted_per_s !== undefined) return [p.persisted_per_s, 'msg/s']
  if (p.kind === 'history' || p.kind === 'changes') return [p.ok_per_s, 'pages/s']
  if (p.kind === 'react') return [p.ok_per_s, 'reactions/s']
  if (p.kind === 'rooms') return [p.ok_per_s, 'lists/s']
  if (p.kind === 'search') return [p.ok_per_s, 'queries/s']
  if (p.ok_per_s !== undefined) return [p.ok_per_s, 'msg/s']
  return [p.connections ?? null, 'sockets']
}

const HEAD = ['scenario/phase', 'throughput', 'unit', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'errors', 'RSS MB before→after', 'srv cpu', 'other cpu', 'load1']
export function printTable(rs: string[][]) {
  const all = [HEAD, ...rs]
  const w = HEAD.map((_, i) => Math.max(...all.map((r) => r[i].length)))
  for (const r of all) console.log(r.map((c, i) => (i === 0 || i === 2 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  '))
}

export const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  return s.length ? (s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null
}

