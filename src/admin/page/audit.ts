// The audit log (SPEC §14): GET /v1/admin/audit, newest first, every tenant's entries and the
// server's own (backups) or one tenant's, paged by the server's cursor. The API filters by tenant
// only, so that is the one filter offered here: a filter on the rows of one page would look like a
// search of the log and silently miss the rest.

import type { Api } from './api'
import { describeError } from './api'
import { $, fmtTime, h, say } from './dom'

interface AuditEntry {
  audit_id: string
  tenant_id: string | null
  actor: string
  action: string
  target: string | null
  data: Record<string, unknown>
  created_at: string
}

/** `key: value` pairs of an entry's details, values as JSON (the API never puts a secret there). */
const details = (data: Record<string, unknown>) =>
  Object.entries(data)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' · ') || '—'

export function createAuditView(api: Api) {
  const form = $<HTMLFormElement>('audit-filter')
  const tenantInput = $<HTMLInputElement>('audit-tenant')
  const limitSelect = $<HTMLSelectElement>('audit-limit')
  const rows = $<HTMLTableSectionElement>('audit-rows')
  const status = $('audit-status')
  const prev = $<HTMLButtonElement>('audit-prev')
  const next = $<HTMLButtonElement>('audit-next')
  const info = $('audit-page-info')
  /** The cursor of each page seen so far (page 0: none) and the next page's, for Newer/Older. */
  let cursors: (string | null)[] = [null]
  let page = 0
  let nextCursor: string | null = null
  let seq = 0

  async function load() {
    const mine = ++seq // an older answer arriving late must not overwrite a newer one
    const q = new URLSearchParams({ limit: limitSelect.value })
    const tenant = tenantInput.value.trim()
    if (tenant) q.set('tenant_id', tenant)
    const cursor = cursors[page]
    if (cursor) q.set('cursor', cursor)
    try {
      const r = await api<{ entries: AuditEntry[]; next_cursor: string | null }>('GET', `/v1/admin/audit?${q}`)
      if (mine !== seq) return
      nextCursor = r.next_cursor
      rows.replaceChildren(...r.entries.map(row))
      if (!r.entries.length)
        rows.append(h('tr', {}, h('td', { colspan: '6', class: 'hint' }, tenant ? 'No entries for this tenant.' : 'No entries yet.')))
      prev.disabled = page === 0
      next.disabled = nextCursor === null
      info.textContent = `page ${page + 1} · ${r.entries.length} entr${r.entries.length === 1 ? 'y' : 'ies'}${tenant ? ` of ${tenant}` : ', every tenant'}`
      form.dataset.loaded = String(mine)
    } catch (e) {
      if (mine === seq) say(status, describeError(e))
    }
  }

  const row = (e: AuditEntry) =>
    h(
      'tr',
      { 'data-id': e.audit_id, 'data-action': e.action },
      h('td', {}, fmtTime(e.created_at)),
      h('td', {}, e.tenant_id ? h('code', {}, e.tenant_id) : h('span', { class: 'hint' }, 'server')),
      h('td', {}, e.actor),
      h('td', { class: 'nowrap' }, h('code', {}, e.action)),
      h('td', { class: 'wrap' }, e.target ?? '—'),
      h('td', { class: 'wrap' }, details(e.data)),
    )

  /** From the newest entries again, with the filter as it stands. */
  function first() {
    cursors = [null]
    page = 0
    return load()
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    void first()
  })
  limitSelect.addEventListener('change', () => void first())
  prev.addEventListener('click', () => {
    page = Math.max(0, page - 1)
    void load()
  })
  next.addEventListener('click', () => {
    cursors[page + 1] = nextCursor
    page++
    void load()
  })

  return {
    /** The newest entries, with the filter as it stands (the nav button). */
    load: first,
    /** Opens the log of one tenant (from its detail panel). */
    showTenant(tenantId: string) {
      tenantInput.value = tenantId
      return first()
    },
  }
}
