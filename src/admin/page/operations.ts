// Dead letters (filter, retry, delete), backups (start one, see the result) and health with the
// workers: the operator's side of the console.

import type { Api } from './api'
import { describeError, getPublic } from './api'
import { $, confirmButton, fmtBytes, fmtTime, h, say } from './dom'

interface DeadLetter {
  id: string
  kind: string
  tenant_id: string
  target: string
  ref_id: string
  attempts: number
  last_error: string | null
  created_at: string
  last_attempt_at: string | null
}

export function createDeadLettersView(api: Api) {
  const form = $<HTMLFormElement>('dl-filter')
  const rows = $<HTMLTableSectionElement>('dl-rows')
  const status = $('dl-status')

  async function load() {
    const q = new URLSearchParams({ limit: '100' })
    const tenant = $<HTMLInputElement>('dl-tenant').value.trim()
    const kind = $<HTMLSelectElement>('dl-kind').value
    if (tenant) q.set('tenant_id', tenant)
    if (kind) q.set('kind', kind)
    try {
      const r = await api<{ dead_letters: DeadLetter[] }>('GET', `/v1/admin/dead-letters?${q}`)
      rows.replaceChildren(...r.dead_letters.map(row))
      if (!r.dead_letters.length) rows.append(h('tr', {}, h('td', { colspan: '7', class: 'hint' }, 'No dead letters match.')))
      $('dl-count').textContent = `${r.dead_letters.length} shown`
    } catch (e) {
      say(status, describeError(e))
    }
  }

  function row(d: DeadLetter) {
    const retry = h('button', { type: 'button', class: 'secondary', 'data-retry': d.id, 'aria-label': `Retry dead letter ${d.id}` }, 'Retry')
    retry.addEventListener('click', async () => {
      retry.disabled = true
      try {
        await api('POST', `/v1/admin/dead-letters/${encodeURIComponent(d.id)}/retry`)
        retry.textContent = 'Queued'
        say(status, `${d.id} is back on its queue with its attempts reset; it leaves this list once a delivery succeeds.`)
      } catch (e) {
        retry.disabled = false
        say(status, describeError(e))
      }
    })
    const del = confirmButton('Delete', 'Press again to delete', { class: 'danger', 'data-delete': d.id, 'aria-label': `Delete dead letter ${d.id}` }, async () => {
      try {
        await api('DELETE', `/v1/admin/dead-letters/${encodeURIComponent(d.id)}`)
        say(status, `${d.id} deleted.`)
        await load()
      } catch (e) {
        say(status, describeError(e))
      }
    })
    return h(
      'tr',
      { 'data-id': d.id },
      h('td', {}, fmtTime(d.created_at)),
      h('td', {}, h('code', {}, d.tenant_id)),
      h('td', {}, d.kind),
      h('td', { class: 'wrap' }, d.target),
      h('td', {}, String(d.attempts)),
      h('td', { class: 'wrap' }, d.last_error ?? '—'),
      h('td', { class: 'actions' }, retry, del),
    )
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    void load()
  })
  return { load }
}

export function createBackupsView(api: Api) {
  const start = $<HTMLButtonElement>('backup-start')
  const status = $('backup-status')
  const list = $<HTMLTableSectionElement>('backup-rows')
  start.addEventListener('click', async () => {
    start.disabled = true
    status.textContent = 'Backing up…'
    try {
      const b = await api<{ path: string; bytes: number; created_at: string }>('POST', '/v1/admin/backup')
      status.textContent = `Done: ${b.path} (${fmtBytes(b.bytes)})`
      list.prepend(h('tr', {}, h('td', {}, fmtTime(b.created_at)), h('td', { class: 'wrap' }, h('code', {}, b.path)), h('td', {}, fmtBytes(b.bytes))))
    } catch (e) {
      status.textContent = describeError(e)
    } finally {
      start.disabled = false
    }
  })
}

interface Health {
  status: string
  version: string
  epoch: string
  uptime_s: number
  db: { writable: boolean; wal_bytes: number }
  workers: Record<string, Record<string, unknown>>
  connections: number
  /** Only when instances share Redis. */
  cluster?: { redis: string; instances: number | null; connections: number | null }
}

/** GET /health (no credentials): the header pill and the health section. */
export async function loadHealth() {
  const pill = $('health-pill')
  try {
    const { status, body } = await getPublic<Health>('/health')
    pill.textContent = `${body.status} · v${body.version}`
    pill.dataset.state = status === 200 ? body.status : 'down'
    const facts: [string, string][] = [
      ['Status', `${body.status} (HTTP ${status})`],
      ['Version', body.version],
      ['Epoch', body.epoch],
      ['Up for', `${Math.floor(body.uptime_s / 3600)} h ${Math.floor((body.uptime_s % 3600) / 60)} min`],
      ['Database writable', body.db.writable ? 'yes' : 'NO'],
      ['WAL size', fmtBytes(body.db.wal_bytes)],
      ['WebSocket connections (this instance)', String(body.connections)],
    ]
    if (body.cluster)
      facts.push(
        ['Redis', body.cluster.redis],
        ['WebSocket connections (cluster)', body.cluster.connections === null ? '—' : `${body.cluster.connections} on ${body.cluster.instances} instance(s)`],
      )
    $('health-facts').replaceChildren(...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))
    const workers = Object.entries(body.workers)
    $('worker-rows').replaceChildren(
      ...workers.map(([name, w]) =>
        h('tr', {}, h('td', {}, name), h('td', {}, String(w.state ?? '—')), h('td', {}, String(w.restarts ?? 0)), h('td', { class: 'wrap' }, String(w.last_error ?? '—'))),
      ),
    )
    if (!workers.length) $('worker-rows').append(h('tr', {}, h('td', { colspan: '4', class: 'hint' }, 'No worker threads (an in-memory database runs none).')))
  } catch (e) {
    pill.textContent = 'unreachable'
    pill.dataset.state = 'down'
    say($('health-status'), describeError(e))
  }
}
