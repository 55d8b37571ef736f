// A small SVG line chart for the bench's cost curves (bench/lib/curves.ts), so the charts in
// docs/perf/ need no plotting library: an x axis (linear or log), a left y axis and an optional
// right one (each linear or log), one polyline with point markers per series, tick labels, grid
// lines and a legend. Pure string building; every point's marker carries its data as attributes
// (data-series, data-x, data-y) and a <title>, so a reader (or a test) can get the numbers back.

export type Scale = 'linear' | 'log'

export interface Axis {
  label: string
  scale?: Scale
}

export interface Series {
  name: string
  /** Which y axis the series is drawn against (default left). */
  axis?: 'left' | 'right'
  /** [x, y]; a null y leaves a gap (the point was not measured). */
  points: [number, number | null][]
  color?: string
  dashed?: boolean
  /** x values whose marker is drawn hollow (a point to read with care, e.g. a rate not reached) */
  hollow?: number[]
}

export interface ChartOptions {
  title: string
  /** A line under the title (the command, the date). */
  subtitle?: string
  x: Axis
  left: Axis
  right?: Axis
  series: Series[]
  width?: number
  height?: number
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b']
/** Margins around the plot; the top grows with the subtitle's lines, the bottom with the legend's. */
const M = { top: 34, right: 78, bottom: 56, left: 78 }
const LINE = 15

/** Splits text into lines of at most `max` characters at spaces (a longer word stays whole). */
export function wrap(text: string, max: number): string[] {
  const lines: string[] = []
  let cur = ''
  for (const w of text.split(' ')) {
    if (cur && cur.length + 1 + w.length > max) {
      lines.push(cur)
      cur = w
    } else cur = cur ? `${cur} ${w}` : w
  }
  if (cur) lines.push(cur)
  return lines
}

/** Escapes text for XML content and attribute values. */
export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;')
}

/** 1234 → "1.2k", 2500000 → "2.5M", 0.5 → "0.5": tick labels short enough for an axis. */
export function shortNumber(v: number): string {
  const a = Math.abs(v)
  const trim = (x: number) => String(Number(x.toPrecision(3)))
  if (a >= 1e9) return `${trim(v / 1e9)}G`
  if (a >= 1e6) return `${trim(v / 1e6)}M`
  if (a >= 1e3) return `${trim(v / 1e3)}k`
  return trim(v)
}

/** Linear ticks at 1, 2 or 5 × 10^k steps covering [lo, hi], about `n` of them. */
export function linearTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo]
  const raw = (hi - lo) / n
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag
  const out: number[] = []
  const end = Math.ceil(hi / step - 1e-9) * step
  for (let v = Math.floor(lo / step) * step; v <= end + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)))
  return out
}

/** Log ticks: the powers of ten from below lo to above hi (with 2 and 5 between when the span is short). */
export function logTicks(lo: number, hi: number): number[] {
  const a = Math.floor(Math.log10(lo))
  const b = Math.ceil(Math.log10(hi))
  const out: number[] = []
  for (let e = a; e <= b; e++) for (const f of b - a <= 2 ? [1, 2, 5] : [1]) out.push(Number((f * 10 ** e).toPrecision(12)))
  return out.filter((v) => v >= 10 ** a && v <= 10 ** b)
}

interface Mapped {
  ticks: number[]
  /** value → pixel */
  at(v: number): number
  /** label of a tick (a log x axis shows 0 at its own place left of the first decade) */
  label(v: number): string
}

/**
 * Maps values to pixels between p0 and p1. A log axis has no 0; when 0 is among the values (a sweep
 * that starts from nothing: 0 idle connections, an empty database) it is drawn one decade below the
 * smallest positive value and its tick is labelled "0" (the axis is broken there).
 */
function mapAxis(values: number[], scale: Scale, p0: number, p1: number, forceZero: boolean): Mapped {
  const finite = values.filter((v) => Number.isFinite(v))
  if (scale === 'log') {
    const pos = finite.filter((v) => v > 0)
    const minPos = pos.length ? Math.min(...pos) : 1
    const maxPos = pos.length ? Math.max(...pos) : 10
    const hasZero = finite.some((v) => v <= 0)
    let ticks = logTicks(minPos, Math.max(maxPos, minPos * 10))
    const zeroAt = hasZero ? ticks[0] / 10 : 0
    const lo = Math.log10(hasZero ? zeroAt : ticks[0])
    const hi = Math.log10(ticks[ticks.length - 1])
    if (hasZero) ticks = [0, ...ticks]
    const at = (v: number) => p0 + ((Math.log10(v > 0 ? v : zeroAt) - lo) / (hi - lo || 1)) * (p1 - p0)
    return { ticks, at, label: shortNumber }
  }
  let lo = finite.length ? Math.min(...finite) : 0
  let hi = finite.length ? Math.max(...finite) : 1
  if (forceZero) lo = Math.min(0, lo)
  if (hi === lo) hi = lo + 1
  const ticks = linearTicks(lo, hi)
  const t0 = ticks[0]
  const t1 = ticks[ticks.length - 1]
  return { ticks, at: (v) => p0 + ((v - t0) / (t1 - t0 || 1)) * (p1 - p0), label: shortNumber }
}

const n2 = (v: number) => Number(v.toFixed(2))

/** The chart as a standalone SVG document. */
export function lineChart(o: ChartOptions): string {
  const W = o.width ?? 720
  const sub = o.subtitle ? wrap(o.subtitle, Math.floor(W / 6.2)) : []
  const H = (o.height ?? 380) + sub.length * LINE + o.series.length * LINE
  const x0 = M.left
  const x1 = W - M.right
  const y1 = M.top + sub.length * LINE + 12
  const y0 = H - M.bottom - o.series.length * LINE
  const series = o.series.map((s, i) => ({ ...s, axis: o.right ? (s.axis ?? 'left') : ('left' as const), color: s.color ?? COLORS[i % COLORS.length] }))
  const xs = series.flatMap((s) => s.points.map((p) => p[0]))
  const yLog = (axis: 'left' | 'right') => ((axis === 'right' ? o.right?.scale : o.left.scale) ?? 'linear') === 'log'
  /** A point is drawn when measured, finite, and above 0 on a log y axis (log has no 0 there). */
  const drawable = (axis: 'left' | 'right', y: number | null): y is number => y !== null && Number.isFinite(y) && (!yLog(axis) || y > 0)
  const ysOf = (axis: 'left' | 'right') => series.filter((s) => s.axis === axis).flatMap((s) => s.points.map((p) => p[1]).filter((y): y is number => drawable(axis, y)))
  const X = mapAxis(xs, o.x.scale ?? 'linear', x0, x1, false)
  const L = mapAxis(ysOf('left'), o.left.scale ?? 'linear', y0, y1, true)
  const R = o.right ? mapAxis(ysOf('right'), o.right.scale ?? 'linear', y0, y1, true) : null
  const out: string[] = []
  const text = (x: number, y: number, s: string, attrs = '') => `<text x="${n2(x)}" y="${n2(y)}"${attrs ? ' ' + attrs : ''}>${xmlEscape(s)}</text>`

  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`)
  out.push(`<title>${xmlEscape(o.title)}</title>`)
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`)
  out.push(text(W / 2, 22, o.title, 'text-anchor="middle" font-size="15" font-weight="bold"'))
  sub.forEach((line, i) => out.push(text(W / 2, 40 + i * LINE, line, 'class="subtitle" text-anchor="middle" font-size="11" fill="#555555"')))

  // grid and ticks: x along the bottom, left axis ticks on the left, right axis on the right
  out.push('<g class="grid" stroke="#e4e4e4" stroke-width="1">')
  for (const t of X.ticks) out.push(`<line x1="${n2(X.at(t))}" y1="${y1}" x2="${n2(X.at(t))}" y2="${y0}"/>`)
  for (const t of L.ticks) out.push(`<line x1="${x0}" y1="${n2(L.at(t))}" x2="${x1}" y2="${n2(L.at(t))}"/>`)
  out.push('</g>')
  out.push(`<g class="axes" stroke="#333333" stroke-width="1" fill="none">`)
  out.push(`<line x1="${x0}" y1="${y0}" x2="${x1}" y2="${y0}"/><line x1="${x0}" y1="${y0}" x2="${x0}" y2="${y1}"/>`)
  if (R) out.push(`<line x1="${x1}" y1="${y0}" x2="${x1}" y2="${y1}"/>`)
  for (const t of X.ticks) out.push(`<line x1="${n2(X.at(t))}" y1="${y0}" x2="${n2(X.at(t))}" y2="${y0 + 5}"/>`)
  for (const t of L.ticks) out.push(`<line x1="${x0 - 5}" y1="${n2(L.at(t))}" x2="${x0}" y2="${n2(L.at(t))}"/>`)
  if (R) for (const t of R.ticks) out.push(`<line x1="${x1}" y1="${n2(R.at(t))}" x2="${x1 + 5}" y2="${n2(R.at(t))}"/>`)
  // a log x axis that starts at 0 is broken between 0 and its first decade: two short slashes
  if ((o.x.scale ?? 'linear') === 'log' && X.ticks[0] === 0) {
    const bx = (X.at(0) + X.at(X.ticks[1])) / 2
    out.push(`<line class="break" x1="${n2(bx - 6)}" y1="${y0 + 4}" x2="${n2(bx - 2)}" y2="${y0 - 4}"/><line class="break" x1="${n2(bx + 2)}" y1="${y0 + 4}" x2="${n2(bx + 6)}" y2="${y0 - 4}"/>`)
  }
  out.push('</g>')
  out.push('<g class="tick-labels" fill="#333333">')
  for (const t of X.ticks) out.push(text(X.at(t), y0 + 18, X.label(t), 'text-anchor="middle"'))
  for (const t of L.ticks) out.push(text(x0 - 8, L.at(t) + 4, L.label(t), 'text-anchor="end"'))
  if (R) for (const t of R.ticks) out.push(text(x1 + 8, R.at(t) + 4, R.label(t), 'text-anchor="start"'))
  out.push('</g>')
  const logNote = (a: Axis) => ((a.scale ?? 'linear') === 'log' ? ' (log scale)' : '')
  out.push(text((x0 + x1) / 2, y0 + 38, o.x.label + logNote(o.x), 'class="x-label" text-anchor="middle"'))
  out.push(text(18, (y0 + y1) / 2, o.left.label + logNote(o.left), `class="left-label" text-anchor="middle" transform="rotate(-90 18 ${n2((y0 + y1) / 2)})"`))
  if (o.right && R) out.push(text(W - 14, (y0 + y1) / 2, o.right.label + logNote(o.right), `class="right-label" text-anchor="middle" transform="rotate(90 ${W - 14} ${n2((y0 + y1) / 2)})"`))

  for (const s of series) {
    const Y = s.axis === 'right' && R ? R : L
    const ok = s.points.filter((p): p is [number, number] => Number.isFinite(p[0]) && drawable(s.axis, p[1]))
    // one polyline per run of drawn points (a point not measured breaks the line)
    const runs: [number, number][][] = [[]]
    for (const p of s.points) {
      if (Number.isFinite(p[0]) && drawable(s.axis, p[1])) runs[runs.length - 1].push([p[0], p[1]])
      else runs.push([])
    }
    out.push(`<g class="series" data-series="${xmlEscape(s.name)}" data-axis="${s.axis}">`)
    for (const r of runs.filter((r) => r.length > 1))
      out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${r.map((p) => `${n2(X.at(p[0]))},${n2(Y.at(p[1]))}`).join(' ')}"/>`)
    for (const p of ok)
      out.push(
        `<circle cx="${n2(X.at(p[0]))}" cy="${n2(Y.at(p[1]))}" r="3.5" ${s.hollow?.includes(p[0]) ? `fill="#ffffff" stroke="${s.color}" stroke-width="2" data-hollow="true"` : `fill="${s.color}"`} data-series="${xmlEscape(s.name)}" data-x="${p[0]}" data-y="${p[1]}"><title>${xmlEscape(`${s.name}: ${shortNumber(p[1])} at ${shortNumber(p[0])}`)}</title></circle>`,
      )
    out.push('</g>')
  }

  // legend under the plot, one series a line
  out.push('<g class="legend">')
  series.forEach((s, i) => {
    const ly = y0 + 58 + i * LINE
    out.push(`<line x1="${x0 + 10}" y1="${ly - 4}" x2="${x0 + 34}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`)
    out.push(text(x0 + 40, ly, `${s.name}${o.right ? (s.axis === 'right' ? ' (right axis)' : ' (left axis)') : ''}`, 'fill="#333333"'))
  })
  out.push('</g>')
  out.push('</svg>')
  return out.join('\n') + '\n'
}
