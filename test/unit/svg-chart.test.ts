// The bench's SVG line chart (bench/lib/svg-chart.ts) and the curve report built on it
// (bench/lib/curve-report.ts): the output is parsed as XML by a strict little parser below (one
// root, every tag closed in order, quoted and unique attributes, only XML's own entities), and the
// points read back from the markers must be exactly the points given. No timing here.

import { describe, expect, test } from 'bun:test'
import { lineChart, linearTicks, logTicks, shortNumber, type ChartOptions } from '../../bench/lib/svg-chart'
import { curveSet, readCurveSet, renderCurves, writeCurves, type CurvesMeta } from '../../bench/lib/curve-report'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { medianPoint, type PointResult } from '../../bench/lib/curve-point'

interface El {
  name: string
  attrs: Record<string, string>
  children: El[]
  text: string
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }
function decode(s: string, where: number): string {
  if (s.includes('<')) throw new Error(`"<" in text or attribute near ${where}`)
  return s.replace(/&([^;\s]*);?/g, (m, e: string) => {
    if (!m.endsWith(';')) throw new Error(`bare "&" near ${where}`)
    if (e in ENTITIES) return ENTITIES[e]
    if (/^#\d+$/.test(e)) return String.fromCodePoint(Number(e.slice(1)))
    if (/^#x[0-9a-f]+$/i.test(e)) return String.fromCodePoint(parseInt(e.slice(2), 16))
    throw new Error(`unknown entity &${e}; near ${where}`)
  })
}

/** A strict parser for the XML subset an SVG file uses; throws on anything not well-formed. */
function parseXml(xml: string): El {
  const NAME = /^[A-Za-z_][\w.:-]*/
  let i = 0
  const stack: El[] = []
  let root: El | null = null
  while (i < xml.length) {
    if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i)
      if (end < 0) throw new Error('unclosed comment')
      i = end + 3
    } else if (xml.startsWith('</', i)) {
      const m = NAME.exec(xml.slice(i + 2))
      const top = stack.pop()
      if (!m || !top || top.name !== m[0]) throw new Error(`</${m?.[0]}> closes <${top?.name}> at ${i}`)
      i += 2 + m[0].length
      while (/\s/.test(xml[i])) i++
      if (xml[i] !== '>') throw new Error(`bad end tag at ${i}`)
      i++
    } else if (xml[i] === '<') {
      const m = NAME.exec(xml.slice(i + 1))
      if (!m) throw new Error(`bad tag at ${i}`)
      const el: El = { name: m[0], attrs: {}, children: [], text: '' }
      i += 1 + m[0].length
      for (;;) {
        const ws = /^\s*/.exec(xml.slice(i))![0].length
        i += ws
        if (xml.startsWith('/>', i) || xml[i] === '>') break
        if (!ws) throw new Error(`no space before attribute at ${i}`)
        const a = /^([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/.exec(xml.slice(i))
        if (!a) throw new Error(`bad attribute at ${i}: ${xml.slice(i, i + 30)}`)
        if (a[1] in el.attrs) throw new Error(`duplicate attribute ${a[1]} at ${i}`)
        el.attrs[a[1]] = decode(a[3] ?? a[4], i)
        i += a[0].length
      }
      if (stack.length) stack[stack.length - 1].children.push(el)
      else if (root) throw new Error('a second root element')
      else root = el
      if (xml.startsWith('/>', i)) i += 2
      else {
        i++
        stack.push(el)
      }
    } else {
      const end = xml.indexOf('<', i) < 0 ? xml.length : xml.indexOf('<', i)
      const t = decode(xml.slice(i, end), i)
      if (stack.length) stack[stack.length - 1].text += t
      else if (t.trim()) throw new Error(`text outside the root at ${i}`)
      i = end
    }
  }
  if (stack.length) throw new Error(`<${stack[stack.length - 1].name}> not closed`)
  if (!root) throw new Error('no root element')
  return root
}

const all = (el: El, pred: (e: El) => boolean): El[] => [...(pred(el) ? [el] : []), ...el.children.flatMap((c) => all(c, pred))]
const texts = (root: El) => all(root, (e) => e.name === 'text').map((e) => e.text)
/** The points drawn for one series, read back from the markers' data attributes. */
const pointsOf = (root: El, series: string) =>
  all(root, (e) => e.name === 'circle' && e.attrs['data-series'] === series).map((e) => [Number(e.attrs['data-x']), Number(e.attrs['data-y'])])

const opts = (over: Partial<ChartOptions> = {}): ChartOptions => ({
  title: 'Room size <all connected> & "quoted"',
  subtitle: 'bun run bench curves --svg · load 1.2–3.4',
  x: { label: 'members per room', scale: 'log' },
  left: { label: 'msg/s' },
  right: { label: 'p99 ms' },
  series: [
    { name: 'msg/s', points: [[2, 15000], [10, 14000], [100, 9000], [1000, 1200], [10000, 95]] },
    { name: 'p99 <ms> & more', axis: 'right', points: [[2, 21.5], [10, 25], [100, null], [1000, 60], [10000, 150.25]] },
  ],
  ...over,
})

describe('lineChart', () => {
  test('is well-formed SVG whose markers are exactly the points given (a null is left out)', () => {
    const svg = lineChart(opts())
    const root = parseXml(svg)
    expect(root.name).toBe('svg')
    expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg')
    expect(root.children.find((c) => c.name === 'title')?.text).toBe('Room size <all connected> & "quoted"')
    expect(pointsOf(root, 'msg/s')).toEqual([[2, 15000], [10, 14000], [100, 9000], [1000, 1200], [10000, 95]])
    expect(pointsOf(root, 'p99 <ms> & more')).toEqual([[2, 21.5], [10, 25], [1000, 60], [10000, 150.25]])
    // the gap splits the right series' line in two: [2, 10] and [1000, 10000]
    const lines = all(root, (e) => e.name === 'g' && e.attrs['data-series'] === 'p99 <ms> & more')[0].children.filter((c) => c.name === 'polyline')
    expect(lines.map((l) => l.attrs.points.split(' ').length)).toEqual([2, 2])
  })

  test('markers sit inside the plot, left to right in x, higher values higher up', () => {
    const root = parseXml(lineChart(opts()))
    const W = Number(root.attrs.width)
    const H = Number(root.attrs.height)
    const circles = all(root, (e) => e.name === 'circle' && e.attrs['data-series'] === 'msg/s')
    const cx = circles.map((c) => Number(c.attrs.cx))
    const cy = circles.map((c) => Number(c.attrs.cy))
    for (let k = 1; k < cx.length; k++) expect(cx[k]).toBeGreaterThan(cx[k - 1])
    for (let k = 1; k < cy.length; k++) expect(cy[k]).toBeGreaterThan(cy[k - 1]) // values fall, so y grows downwards
    for (const v of [...cx, ...cy]) expect(v).toBeGreaterThan(0)
    for (const v of cx) expect(v).toBeLessThan(W)
    for (const v of cy) expect(v).toBeLessThan(H)
    // a log x axis: equal ratios are equal distances (2 → 10 → 100 → 1000 → 10000: 10× steps after the first)
    expect(cx[3] - cx[2]).toBeCloseTo(cx[2] - cx[1], 1)
    expect(cx[4] - cx[3]).toBeCloseTo(cx[2] - cx[1], 1)
  })

  test('axes carry their labels (with the log note) and ticks', () => {
    const t = texts(parseXml(lineChart(opts())))
    expect(t).toContain('members per room (log scale)')
    expect(t).toContain('msg/s')
    expect(t).toContain('p99 ms')
    for (const tick of ['1', '10', '100', '1k', '10k']) expect(t).toContain(tick)
    expect(t).toContain('15k') // left axis ticks reach the largest value
  })

  test('a log x axis that starts at 0 shows the 0 at its own tick, left of the first decade', () => {
    const root = parseXml(
      lineChart(opts({ x: { label: 'messages', scale: 'log' }, right: undefined, series: [{ name: 's', points: [[0, 10], [100_000, 9], [1_000_000, 8], [5_000_000, 7]] }] })),
    )
    expect(pointsOf(root, 's')).toEqual([[0, 10], [100_000, 9], [1_000_000, 8], [5_000_000, 7]])
    const cx = all(root, (e) => e.name === 'circle').map((c) => Number(c.attrs.cx))
    expect(cx[0]).toBeLessThan(cx[1])
    expect(texts(root)).toContain('0')
    expect(texts(root)).toContain('1M')
    expect(all(root, (e) => e.attrs.class === 'break')).toHaveLength(2)
  })

  test('a log y axis leaves out values it cannot draw (0) and keeps the others', () => {
    const root = parseXml(lineChart(opts({ left: { label: 'per second', scale: 'log' }, series: [{ name: 'd', points: [[1, 0], [10, 100], [100, 1000]] }] })))
    expect(pointsOf(root, 'd')).toEqual([[10, 100], [100, 1000]])
  })
})

describe('ticks and labels', () => {
  test('linear ticks are round steps covering the range', () => {
    expect(linearTicks(0, 15_000)).toEqual([0, 5000, 10000, 15000])
    expect(linearTicks(0, 18_000)).toEqual([0, 5000, 10000, 15000, 20000])
    expect(linearTicks(0, 0.9)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1])
  })
  test('log ticks are powers of ten (with 2 and 5 over a short span)', () => {
    expect(logTicks(2, 10_000)).toEqual([1, 10, 100, 1000, 10000])
    expect(logTicks(20, 900)).toEqual([10, 20, 50, 100, 200, 500, 1000])
  })
  test('short numbers', () => {
    expect([0, 0.5, 950, 1500, 18_000, 2_500_000].map(shortNumber)).toEqual(['0', '0.5', '950', '1.5k', '18k', '2.5M'])
  })
})

describe('renderCurves', () => {
  const point = (curve: string, x: number, msgs: number, p99: number | null): PointResult => ({
    curve, x, rooms: 100, members: 10, connections: 1000, idle: 0, db_messages: 0,
    max_msg_s: msgs, max_deliveries_s: msgs * 10, max_p99_ms: 90, rate: 2000, rate_msg_s: 2000, rate_deliveries_s: 20000,
    rate_p50_ms: 10, rate_p99_ms: p99, rate_ack_p99_ms: 12, server_cpu_max: 0.9, server_cpu_rate: 0.4, others_cpu: 0.1,
    server_rss_mb: 100, errors: 0, closed_sockets: 0, connect_failed: 0, setup_s: 1,
    quiet_gate: { pre_busy_cores: 0.1, gated: true, waited_s: 1 }, loadavg: [1.5, 1, 1], phases: [],
  })
  const meta: CurvesMeta = { command: 'bun run bench curves --svg', started: '2026-12-03T17:00:00.000Z', finished: '2026-12-03T17:10:00.000Z', secs: 5, warmup: 1, rate: 2000, fd_limit: 20000, cores: 2, quick: false, commit: 'abc1234' }

  test('one parseable chart per curve with its points, and a table of every point', () => {
    const pts = [point('conns', 0, 15000, 20), point('conns', 9000, 14000, 30), point('db-size', 0, 15000, 20), point('db-size', 1_000_000, 13000, null)]
    const files = renderCurves(curveSet(pts, meta))
    expect(Object.keys(files).sort()).toEqual(['curve-conns.svg', 'curve-db-size.svg', 'curves.json', 'curves.md'])
    const conns = parseXml(files['curve-conns.svg'])
    expect(pointsOf(conns, 'msg/s, closed loop')).toEqual([[0, 15000], [9000, 14000]])
    const db = parseXml(files['curve-db-size.svg'])
    expect(pointsOf(db, 'msg/s, closed loop')).toEqual([[0, 15000], [1_000_000, 13000]])
    expect(all(db, (e) => e.name === 'circle' && e.attrs['data-series']?.startsWith('p99')).map((e) => Number(e.attrs['data-x']))).toEqual([0])
    expect(texts(db).join(' ')).toContain('commit abc1234')
    // a point whose offered rate was not reached is drawn hollow and the legend says why
    const slow = { ...point('conns', 18000, 9000, 900), rate_msg_s: 1200 }
    const c2 = parseXml(renderCurves(curveSet([...pts.slice(0, 2), slow], meta))['curve-conns.svg'])
    const p99 = all(c2, (e) => e.name === 'circle' && !!e.attrs['data-series']?.startsWith('p99'))
    expect(p99.map((e) => e.attrs['data-hollow'] ?? 'false')).toEqual(['false', 'false', 'true'])
    expect(texts(c2).some((t) => t.includes('hollow: rate not reached'))).toBe(true)
    const md = files['curves.md']
    expect(md).toContain('![conns](curve-conns.svg)')
    expect(md).toContain('| 9,000 | 100 × 10 | 1,000 | 14,000 |')
    expect(md).toContain('Measured by `bun run bench curves --svg`, 2026-12-03 17:00 → 17:10 UTC, commit abc1234')
    const json = JSON.parse(files['curves.json'])
    expect(Object.keys(json.curves)).toEqual(['conns', 'db-size'])
    expect(json.curves.conns.points).toHaveLength(2)
  })

  test('a run of some curves keeps the other curves of the curves.json it finds', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chatapi-curves-test-'))
    try {
      writeCurves(dir, [point('conns', 0, 15000, 20), point('conns', 9000, 14000, 30), point('rooms', 1, 9000, 10)], meta)
      writeCurves(dir, [point('rooms', 1, 8000, 11), point('rooms', 10, 7000, 12)], { ...meta, command: 'bun run bench curves --curves=rooms --svg' })
      const set = readCurveSet(join(dir, 'curves.json'))
      expect(set.conns.points.map((p) => p.x)).toEqual([0, 9000])
      expect(set.conns.meta.command).toBe('bun run bench curves --svg')
      expect(set.rooms.points.map((p) => [p.x, p.max_msg_s])).toEqual([[1, 8000], [10, 7000]])
      expect(set.rooms.meta.command).toBe('bun run bench curves --curves=rooms --svg')
      for (const f of ['curve-conns.svg', 'curve-rooms.svg']) parseXml(readFileSync(join(dir, f), 'utf8'))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('a point measured in several rounds is the median of each figure, with every round kept', () => {
    const rs = [point('conns', 0, 9000, 30), point('conns', 0, 15000, 10), point('conns', 0, 12000, null)]
    rs[1].loadavg = [3, 2, 1]
    const m = medianPoint(rs)
    expect(m.max_msg_s).toBe(12000)
    expect(m.rate_p99_ms).toBe(20) // the median of the rounds that measured it
    expect(m.loadavg).toEqual([1.5, 1, 1])
    expect(m.rounds).toEqual({ max_msg_s: [9000, 15000, 12000], rate_p99_ms: [30, 10, null] })
    expect(renderCurves(curveSet([m], { ...meta, rounds: 3 }))['curves.md']).toContain('| 12,000 (9,000–15,000) |')
  })
})
