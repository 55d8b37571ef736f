// The shapes every bench scenario shares: its run context, its phases and its headline figure.

import type { Target } from './target'

/** The load processes: bench/lib/load-<kind>.ts (`chatapi __bench-load <kind>` in the binary). */
export type LoadKind = 'ws' | 'rest' | 'noisy' | 'c100k'

export interface Ctx {
  t: Target
  flags: Record<string, string>
  /** Unique user-id prefix, so a run against a shared server never collides with an earlier one. */
  tag: string
  secs: number
  warmup: number
  /** Runs a load process (bench/lib/load-<kind>.ts) on a spec; returns its JSON output lines. */
  load(kind: LoadKind, spec: Record<string, unknown>, hardcapS: number): Promise<Record<string, any>[]>
  /** Runs several load processes at once. */
  loadMany(kind: LoadKind, specs: Record<string, unknown>[], hardcapS: number, onLine: (i: number, line: Record<string, any>) => void): Promise<void>
  /** Kills (by pid) every load process still running. */
  killLoads(): void
}

export interface Phase extends Record<string, any> {
  phase: string
}
export interface Headline {
  throughput: number | null
  unit: string
  /** the phase whose latency the table shows */
  latencyPhase?: string
  extra?: Record<string, unknown>
}
export interface Scenario {
  name: string
  about: string
  env?: Record<string, string>
  needsSpawn?: boolean
  /** spawns (and stops) its own servers; not part of `all` (pg-scale needs PostgreSQL and Redis) */
  ownsServers?: boolean
  /** not part of `all`: run by name (noisy-neighbour is a security check, minutes long, not a throughput figure) */
  separate?: boolean
  run(ctx: Ctx): Promise<{ phases: Phase[]; headline: Headline }>
}
