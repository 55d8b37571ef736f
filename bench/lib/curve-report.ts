// What `bun run bench curves --svg` writes: one chart per curve (docs/perf/curve-<name>.svg, drawn
// by svg-chart.ts), the points as markdown tables (docs/perf/curves.md) and as JSON
// (docs/perf/curves.json, from which the charts can be drawn again without measuring:
// `bun bench/lib/curve-report.ts docs/perf/curves.json`). A run of some curves (--curves=rooms)
// replaces those and keeps the others from the curves.json it finds.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { PointResult } from './curve-point'
import { lineChart, type ChartOptions } from './svg-chart'

export interface CurvesMeta {
  command: string
  started: string
  finished: string
  secs: number
  warmup: number
  rate: number
  fd_limit: number
  cores: number
  quick: boolean
  rounds?: number
  commit?: string
}

interface CurveDoc {
  title: string
  x: string
  xScale: 'linear' | 'log'
  /** what the open-loop phase offered, for the p99 series' name */
  rateNote: (pts: PointResult[]) => string
  deliveries?: boolean
}

const DOCS: Record<string, CurveDoc> = {
  'room-size': {
    title: 'Room size: WS sends, every member connected',
    x: 'members per room',
    xScale: 'log',
    rateNote: () => 'p99 at ≤ 100k deliveries/s',
    deliveries: true,
  },
  rooms: { title: 'Active rooms (2 members each, one sender per room)', x: 'active rooms', xScale: 'log', rateNote: (p) => `p99 at ${fmtInt(p[0]?.rate)} msg/s` },
  conns: { title: 'Idle connections beside 100 rooms × 10 members', x: 'idle connections', xScale: 'linear', rateNote: (p) => `p99 at ${fmtInt(p[0]?.rate)} msg/s` },
  'db-size': { title: 'Database size: WS sends into 100 rooms × 10', x: 'messages in the database', xScale: 'log', rateNote: (p) => `p99 at ${fmtInt(p[0]?.rate)} msg/s` },
}

const fmtInt = (v: number | null | undefined) => (v === null || v === undefined ? '–' : Math.round(v).toLocaleString('en-US'))
const fmtMs = (v: number | null | undefined) => (v === null || v === undefined ? '–' : v >= 100 ? String(Math.round(v)) : v.toFixed(1))
/** " (min–max)" over the rounds of a point measured several times */
const range = (xs: (number | null)[] | undefined, f: (v: number) => string) => {
  const v = (xs ?? []).filter((x): x is number => x !== null)
  return v.length > 1 ? ` (${f(Math.min(...v))}–${f(Math.max(...v))})` : ''
}
const fmtMb = (b: number | undefined) => (b === undefined ? '–' : (b / 1e6).toFixed(0))

/** Largest ÷ smallest of the positive values (1 when fewer than two). */
const spread = (xs: (number | null)[]) => {
  const v = xs.filter((x): x is number => x !== null && x > 0)
  return v.length > 1 ? Math.max(...v) / Math.min(...v) : 1
}

function chartFor(name: string, pts: PointResult[], meta: CurvesMeta): ChartOptions {
  const d = DOCS[name] ?? { title: name, x: 'x', xScale: 'linear' as const, rateNote: () => 'p99' }
  const series: ChartOptions['series'] = [{ name: 'msg/s, closed loop', axis: 'left', points: pts.map((p) => [p.x, p.max_msg_s]) }]
  if (d.deliveries) series.push({ name: 'deliveries/s, closed loop', axis: 'left', points: pts.map((p) => [p.x, p.max_deliveries_s]), dashed: true })
  // a p99 measured while the server fell behind the offered rate (under 95% of it reached) is queueing, not latency at that rate
  const behind = pts.filter((p) => p.rate_msg_s !== null && p.rate_msg_s < 0.95 * p.rate).map((p) => p.x)
  series.push({
    name: `${d.rateNote(pts)} (publish → receive)${behind.length ? '; hollow: rate not reached' : ''}`,
    axis: 'right',
    points: pts.map((p) => [p.x, p.rate_p99_ms]),
    hollow: behind,
  })
  const loads = pts.map((p) => p.loadavg[0])
  const others = pts.map((p) => p.others_cpu ?? 0)
  return {
    title: d.title,
    subtitle: `${meta.command} · ${meta.started.slice(0, 16).replace('T', ' ')} UTC${meta.commit ? ` · commit ${meta.commit}` : ''} · ${meta.cores} cores shared by server and load · load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}, other processes up to ${Math.max(0, ...others).toFixed(2)} cores`,
    x: { label: d.x, scale: d.xScale },
    left: { label: d.deliveries ? 'per second' : 'persisted msg/s', scale: d.deliveries ? 'log' : 'linear' },
    // p99 spans orders of magnitude when one end of a sweep falls behind its rate: a log axis then
    right: { label: 'p99 latency, ms', scale: spread(pts.map((p) => p.rate_p99_ms)) > 30 ? 'log' : 'linear' },
    series,
  }
}

function table(name: string, pts: PointResult[]): string {
  const db = name === 'db-size'
  const head = [
    DOCS[name]?.x ?? 'x',
    'rooms × members',
    'sockets',
    'max msg/s',
    'max deliveries/s',
    'max p99 ms',
    'offered msg/s',
    'reached msg/s',
    'p50 / p99 ms',
    'ack p99 ms',
    'server cpu max / at rate',
    'max msg/s per server core',
    'msgs per commit / ms per commit',
    'load client cpu max / at rate',
    'others cpu',
    'load1',
    'errors',
    ...(db ? ['build s', 'db MB', 'index MB', 'start-up ms'] : []),
  ]
  const rows = pts.map((p) => [
    fmtInt(p.x),
    `${fmtInt(p.rooms)} × ${fmtInt(p.members)}`,
    fmtInt(p.connections),
    fmtInt(p.max_msg_s) + range(p.rounds?.max_msg_s, fmtInt),
    fmtInt(p.max_deliveries_s),
    fmtMs(p.max_p99_ms),
    fmtInt(p.rate),
    fmtInt(p.rate_msg_s),
    `${fmtMs(p.rate_p50_ms)} / ${fmtMs(p.rate_p99_ms)}${range(p.rounds?.rate_p99_ms, fmtMs)}`,
    fmtMs(p.rate_ack_p99_ms),
    `${p.server_cpu_max ?? '–'} / ${p.server_cpu_rate ?? '–'}`,
    p.max_msg_s !== null && p.server_cpu_max ? fmtInt(p.max_msg_s / p.server_cpu_max) : '–',
    `${p.mean_batch ?? '–'} / ${p.mean_commit_ms ?? '–'}`,
    `${p.client_cpu_max ?? '–'} / ${p.client_cpu_rate ?? '–'}`,
    String(p.others_cpu ?? '–'),
    p.loadavg[0].toFixed(2),
    String(p.errors + p.connect_failed + p.closed_sockets),
    ...(db ? [String(p.build_s ?? '–'), fmtMb(p.db_bytes), fmtMb(p.index_bytes), fmtInt(p.startup_ms)] : []),
  ])
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n')
}

/** What curves.json keeps: each curve with the run that measured it (a later run of some curves keeps the others). */
export type CurveSet = Record<string, { meta: CurvesMeta; points: PointResult[] }>

/** Groups one run's points by curve. */
export function curveSet(points: PointResult[], meta: CurvesMeta): CurveSet {
  const set: CurveSet = {}
  for (const p of points) (set[p.curve] ??= { meta, points: [] }).points.push(p)
  return set
}

/** The files (name → content) for these curves: one SVG each, curves.md and curves.json. */
export function renderCurves(set: CurveSet): Record<string, string> {
  const files: Record<string, string> = {}
  const md: string[] = [
    '# Cost curves: the points',
    '',
    'Written by `bun run bench curves --svg` (bench/lib/curves.ts); each curve says which run measured it. See [performance.md](../performance.md#cost-curves) for how to read them and [sizing.md](../sizing.md) for what they mean for a deployment.',
    '',
    '"max msg/s per server core" divides the ceiling by the CPU the server got meanwhile: on a shared box, where the server gets what the others leave, it moves less with the noise than the ceiling does. "max" is the closed-loop phase (sends kept in flight: a ceiling, its latency is queueing); "offered" is the open-loop phase and its p50 / p99 (publish → receive at a probe) and ack p99 (send → `message.sent`). "errors" counts error frames, failed connects and sockets closed by the server. "others cpu" is the most any other process on the box used in either phase (the box is shared); load1 is the load average before the point.',
  ]
  for (const name of CURVE_ORDER.filter((n) => set[n]).concat(Object.keys(set).filter((n) => !CURVE_ORDER.includes(n)))) {
    const { meta, points } = set[name]
    const pts = [...points].sort((a, b) => a.x - b.x)
    files[`curve-${name}.svg`] = lineChart(chartFor(name, pts, meta))
    md.push(
      '',
      `## ${DOCS[name]?.title ?? name}`,
      '',
      `Measured by \`${meta.command}\`, ${meta.started.slice(0, 16).replace('T', ' ')} → ${meta.finished.slice(11, 16)} UTC${meta.commit ? `, commit ${meta.commit}` : ''}; ${meta.warmup} s warm-up and ${meta.secs} s measured per phase${(meta.rounds ?? 1) > 1 ? `; median of ${meta.rounds} rounds (min–max), up and down the sweep in turn` : ''}; open-file limit ${meta.fd_limit.toLocaleString('en-US')}; ${meta.cores} cores.`,
      '',
      `![${name}](curve-${name}.svg)`,
      '',
      table(name, pts),
    )
  }
  files['curves.md'] = md.join('\n') + '\n'
  const stripped: CurveSet = Object.fromEntries(Object.entries(set).map(([k, v]) => [k, { meta: v.meta, points: v.points.map((p) => ({ ...p, phases: [] })) }]))
  files['curves.json'] = JSON.stringify({ curves: stripped }, null, 1) + '\n'
  return files
}

const CURVE_ORDER = ['room-size', 'rooms', 'conns', 'db-size']

export function gitCommit(): string | undefined {
  try {
    const r = Bun.spawnSync(['git', 'rev-parse', '--short', 'HEAD'], { stdout: 'pipe', stderr: 'ignore' })
    return r.exitCode === 0 ? r.stdout.toString().trim() : undefined
  } catch {
    return undefined
  }
}

/** A curves.json: {curves} (or the first runs' {meta, points}, one run for every curve). */
export function readCurveSet(file: string): CurveSet {
  const j = JSON.parse(readFileSync(file, 'utf8')) as { curves?: CurveSet; meta?: CurvesMeta; points?: PointResult[] }
  if (j.curves) return j.curves
  return j.meta && j.points ? curveSet(j.points, { ...j.meta, cores: j.meta.cores ?? 2 }) : {}
}

/**
 * Writes the files into `dir` (created if missing); returns their paths. Curves measured by an
 * earlier run and not by this one are kept from the curves.json already there.
 */
export function writeCurves(dir: string, points: PointResult[], meta: CurvesMeta): string[] {
  mkdirSync(dir, { recursive: true })
  const file = join(dir, 'curves.json')
  const before: CurveSet = existsSync(file) ? readCurveSet(file) : {}
  const files = renderCurves({ ...before, ...curveSet(points, { ...meta, commit: meta.commit ?? gitCommit() }) })
  return Object.entries(files).map(([name, text]) => {
    writeFileSync(join(dir, name), text)
    return join(dir, name)
  })
}

if (import.meta.main) {
  // Draw again from a curves.json (after a change to the charts), into the directory it is in.
  const file = process.argv[2] ?? 'docs/perf/curves.json'
  const files = renderCurves(readCurveSet(file))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dirname(file), name), text)
  console.log(Object.keys(files).join('\n'))
}
