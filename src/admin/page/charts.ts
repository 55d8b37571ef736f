// Live charts of GET /v1/admin/stats with uPlot (bundled; no CDN). One panel = four small charts
// for one tenant or for the whole instance, refreshed on a timer while the panel is on screen.

import uPlot from 'uplot'
import type { Api } from './api'
import { describeError, ApiError } from './api'
import { h, say } from './dom'

type Window = '15m' | '1h' | '24h'
interface Stats {
  step_s: number
  start: string
  window: Window
  tracked: boolean
  series: Record<string, number[]>
}

/** Each chart: its id suffix, title and the series it draws (colour per series, the same everywhere). */
const CHARTS: { id: string; title: string; lines: [string, string, string][] }[] = [
  // Messages and deliveries on separate axes: one message to a big room is thousands of deliveries.
  { id: 'messages', title: 'Messages stored', lines: [['messages', 'messages', '#2f5bd3']] },
  { id: 'deliveries', title: 'Deliveries to sockets', lines: [['deliveries', 'deliveries', '#0c8599']] },
  { id: 'connections', title: 'WebSocket connections (peak per step)', lines: [['connections', 'connections', '#2b8a3e']] },
  { id: 'http', title: 'HTTP requests', lines: [['http_requests', 'requests', '#5f3dc4'], ['http_errors', 'errors (4xx/5xx)', '#e8590c'], ['rate_limited', 'rate limited (429)', '#c2255c']] },
  { id: 'webhooks', title: 'Failed webhook and endpoint attempts', lines: [['webhook_failures', 'failures', '#c92a2a']] },
]
const POLL_MS: Record<Window, number> = { '15m': 5_000, '1h': 30_000, '24h': 120_000 }

/** A translucent fill under the first line of each chart: a quiet chart stays flat, traffic shows as an area. */
const fillOf = (hex: string) => `${hex}33`

export interface ChartPanel {
  /** Fetches now and draws. */
  refresh(): Promise<void>
  /** Stops the timer and frees the charts. */
  destroy(): void
}

/**
 * Builds the panel inside `root`: a window selector, a refresh button, a status line and the charts.
 * `prefix` makes element ids unique (`all` or `tenant`): the first chart's box is #<prefix>-chart-messages.
 */
export function createChartPanel(root: HTMLElement, api: Api, prefix: string, tenantId: string | null): ChartPanel {
  const select = h(
    'select',
    { id: `${prefix}-window` },
    h('option', { value: '15m' }, 'last 15 minutes (10 s steps)'),
    h('option', { value: '1h' }, 'last hour (1 min steps)'),
    h('option', { value: '24h' }, 'last 24 hours (10 min steps)'),
  )
  const refreshBtn = h('button', { type: 'button', id: `${prefix}-refresh`, class: 'secondary' }, 'Refresh')
  const status = h('p', { class: 'hint', role: 'status', id: `${prefix}-chart-status` })
  const grid = h('div', { class: 'charts' })
  root.replaceChildren(
    h('div', { class: 'chart-tools' }, h('label', { for: `${prefix}-window` }, 'Window'), select, refreshBtn, status),
    grid,
  )

  const plots: uPlot[] = []
  for (const c of CHARTS) {
    const box = h('div', { class: 'chart', id: `${prefix}-chart-${c.id}`, role: 'img', 'aria-label': c.title })
    grid.append(h('figure', { class: 'chart-card' }, h('figcaption', {}, c.title), box))
    const opts: uPlot.Options = {
      width: 400,
      height: 170,
      cursor: { drag: { x: false, y: false } },
      legend: { show: true, live: false },
      scales: { y: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] } },
      axes: [{ stroke: '#6b7385', grid: { stroke: '#eef0f4' } }, { stroke: '#6b7385', grid: { stroke: '#eef0f4' }, size: 44 }],
      series: [{}, ...c.lines.map(([, label, colour], i) => ({ label, stroke: colour, width: 2, fill: i === 0 ? fillOf(colour) : undefined, points: { show: false } }))],
    }
    plots.push(new uPlot(opts, [[], ...c.lines.map(() => [])], box))
  }

  // Charts follow their card's width (laptop screens: two per row; narrow: one).
  const fit = () => {
    for (const p of plots) {
      const w = Math.max(240, Math.floor(p.root.parentElement!.clientWidth))
      if (Math.abs(p.width - w) > 2) p.setSize({ width: w, height: 170 })
    }
  }
  const resize = new ResizeObserver(fit)
  resize.observe(grid)

  let timer: ReturnType<typeof setTimeout> | null = null
  let stopped = false
  let inFlight: Promise<void> | null = null

  async function load() {
    const q = new URLSearchParams({ window: select.value })
    if (tenantId) q.set('tenant_id', tenantId)
    try {
      const s = await api<Stats>('GET', `/v1/admin/stats?${q}`)
      const t0 = Date.parse(s.start) / 1000
      const xs = s.series.messages.map((_, i) => t0 + i * s.step_s)
      CHARTS.forEach((c, i) => plots[i].setData([xs, ...c.lines.map(([name]) => s.series[name])]))
      root.dataset.loaded = String(Date.now())
      status.textContent = s.tracked ? `updated ${new Date().toLocaleTimeString()}` : 'no activity on this instance lately (all zero)'
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) say(status, describeError(e))
    }
  }

  function schedule() {
    if (stopped) return
    if (timer) clearTimeout(timer)
    timer = setTimeout(async () => {
      // Hidden tab or panel: skip the fetch, keep the rhythm.
      if (!document.hidden && root.offsetParent !== null) await refresh()
      schedule()
    }, POLL_MS[select.value as Window])
  }

  async function refresh() {
    inFlight ??= load().finally(() => (inFlight = null))
    await inFlight
  }

  select.addEventListener('change', () => void refresh().then(schedule))
  refreshBtn.addEventListener('click', () => void refresh())
  void refresh().then(() => (fit(), schedule()))

  return {
    refresh,
    destroy() {
      stopped = true
      if (timer) clearTimeout(timer)
      resize.disconnect()
      for (const p of plots) p.destroy()
    },
  }
}
