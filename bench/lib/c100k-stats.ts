// Small figures for the c100k scenario: latency percentiles from merged bins or samples, open fds.

import { readdirSync } from 'node:fs'

/** Percentiles from merged 0.1 ms bins. */
export function binSummary(bins: Map<number, number>) {
  const keys = [...bins.keys()].sort((a, b) => a - b)
  let total = 0
  for (const k of keys) total += bins.get(k)!
  const q = (p: number) => {
    let acc = 0
    for (const k of keys) if ((acc += bins.get(k)!) >= p * total) return k / 10
    return null
  }
  return { samples: total, p50_ms: q(0.5), p90_ms: q(0.9), p99_ms: q(0.99), max_ms: keys.length ? keys[keys.length - 1] / 10 : null }
}
export function quantiles(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b)
  const q = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : null)
  return { samples: s.length, p50_ms: q(0.5), p90_ms: q(0.9), p99_ms: q(0.99), max_ms: s.length ? s[s.length - 1] : null }
}
export const fdCount = (pid: number) => {
  try {
    return readdirSync(`/proc/${pid}/fd`).length
  } catch {
    return null
  }
}
