// Tenants: the list (paged by the server when it pages, otherwise here), creating one with its
// secrets shown once, and opening one (tenant-detail.ts).

import type { Api } from './api'
import { describeError, ApiError } from './api'
import { $, copyText, fmtTime, h, say } from './dom'
import { openTenant, type Tenant } from './tenant-detail'

const PAGE = 20
const SECRET_LABELS: Record<string, string> = { api_key: 'API key', webhook_secret: 'Webhook secret', user_token_secret: 'User-token secret' }

interface ListState {
  /** null until the first answer tells whether the server pages (`next_cursor` in the answer). */
  serverPages: boolean | null
  /** Server paging: the cursor of each page seen so far (page 0: none). */
  cursors: (string | null)[]
  nextCursor: string | null
  /** Client paging: the whole list. */
  all: Tenant[]
  page: number
}

export function createTenantsView(api: Api, o: { showAudit: (tenantId: string) => void }) {
  const st: ListState = { serverPages: null, cursors: [null], nextCursor: null, all: [], page: 0 }
  const table = $<HTMLTableSectionElement>('tenant-rows')
  const info = $('tenants-page-info')
  const prev = $<HTMLButtonElement>('tenants-prev')
  const next = $<HTMLButtonElement>('tenants-next')
  const status = $('tenants-status')

  function render(rows: Tenant[], hasNext: boolean) {
    table.replaceChildren(
      ...rows.map((t) =>
        h(
          'tr',
          { 'data-tenant-id': t.tenant_id },
          h('td', {}, h('button', { type: 'button', class: 'link', 'data-open': t.tenant_id }, t.name)),
          h('td', {}, h('code', {}, t.tenant_id)),
          h('td', {}, fmtTime(t.created_at)),
        ),
      ),
    )
    if (!rows.length) table.append(h('tr', {}, h('td', { colspan: '3', class: 'hint' }, 'No tenants yet.')))
    prev.disabled = st.page === 0
    next.disabled = !hasNext
    const paging = st.serverPages ? 'paged by the server' : 'paged in this page (the server returns the whole list)'
    info.textContent = `page ${st.page + 1} · ${paging}`
    for (const b of table.querySelectorAll<HTMLButtonElement>('button[data-open]'))
      b.addEventListener('click', () => void open(rows.find((r) => r.tenant_id === b.dataset.open)!))
  }

  async function load() {
    try {
      if (st.serverPages === false) return render(st.all.slice(st.page * PAGE, (st.page + 1) * PAGE), (st.page + 1) * PAGE < st.all.length)
      const q = new URLSearchParams({ limit: String(PAGE) })
      const cursor = st.cursors[st.page]
      if (cursor) q.set('cursor', cursor)
      const r = await api<{ tenants: Tenant[]; next_cursor?: string | null }>('GET', `/v1/admin/tenants?${q}`)
      st.serverPages = 'next_cursor' in r
      if (st.serverPages) {
        st.nextCursor = r.next_cursor ?? null
        render(r.tenants, st.nextCursor !== null)
      } else {
        st.all = r.tenants
        render(st.all.slice(st.page * PAGE, (st.page + 1) * PAGE), (st.page + 1) * PAGE < st.all.length)
      }
    } catch (e) {
      say(status, describeError(e))
    }
  }

  prev.addEventListener('click', () => {
    st.page = Math.max(0, st.page - 1)
    void load()
  })
  next.addEventListener('click', () => {
    if (st.serverPages) st.cursors[st.page + 1] = st.nextCursor
    st.page++
    void load()
  })

  /** Reloads from the first page (after a create or a delete). */
  function reload() {
    st.page = 0
    st.cursors = [null]
    st.serverPages = null // ask again: the list changed
    return load()
  }

  async function open(t: Tenant) {
    for (const row of table.querySelectorAll('tr')) row.classList.toggle('active', row.getAttribute('data-tenant-id') === t.tenant_id)
    await openTenant(api, t.tenant_id, { showSecrets, onDeleted, showAudit: o.showAudit })
  }

  /** After a delete: the list without it, and the background job followed until it ends. */
  async function onDeleted(t: Tenant, jobId: string) {
    const notice = $('tenants-notice')
    const gone = `Deleted ${t.name} (${t.tenant_id}): its keys and tokens stopped working.`
    notice.textContent = `${gone} Removing its data (job ${jobId})…`
    await reload()
    void followJob(api, jobId, (text) => {
      if (notice.textContent?.startsWith(gone)) notice.textContent = `${gone} ${text}`
    })
  }

  // Creating a tenant.
  const form = $<HTMLFormElement>('new-tenant')
  const nameInput = $<HTMLInputElement>('new-tenant-name')
  const nameError = $('new-tenant-name-error')
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault()
    nameError.textContent = ''
    nameInput.removeAttribute('aria-invalid')
    try {
      const created = await api<Tenant & Record<string, string>>('POST', '/v1/admin/tenants', { name: nameInput.value })
      nameInput.value = ''
      showSecrets(`Secrets of ${created.name} (${created.tenant_id})`, {
        api_key: created.api_key,
        webhook_secret: created.webhook_secret,
        user_token_secret: created.user_token_secret,
      })
      await reload()
      await open(created)
    } catch (e) {
      if (e instanceof ApiError && e.field === 'name') {
        nameError.textContent = e.message
        nameInput.setAttribute('aria-invalid', 'true')
        nameInput.focus()
      } else say(status, describeError(e))
    }
  })

  return { load }
}

interface Job {
  status: 'running' | 'done' | 'failed'
  progress: { done: number; total: number }
  error: string | null
}

/** Polls GET /v1/admin/jobs/{id} every second for at most ten minutes, reporting each state. */
async function followJob(api: Api, jobId: string, report: (text: string) => void) {
  for (let i = 0; i < 600; i++) {
    let job: Job
    try {
      job = await api<Job>('GET', `/v1/admin/jobs/${encodeURIComponent(jobId)}`)
    } catch (e) {
      return report(`Could not follow job ${jobId}: ${describeError(e)}`)
    }
    if (job.status === 'done') return report(`Its data is removed (job ${jobId} done).`)
    if (job.status === 'failed') return report(`Removing its data failed (job ${jobId}): ${job.error ?? 'no reason given'}.`)
    report(`Removing its data (job ${jobId}: ${job.progress.done} of ${job.progress.total})…`)
    await new Promise((r) => setTimeout(r, 1000))
  }
  report(`Its data is still being removed (job ${jobId}); GET /v1/admin/jobs/${jobId} tells when it is done.`)
}

/**
 * Shows secrets once: they live only in this panel's DOM until "Done", and the API never returns
 * them again (a lost one is rotated, not looked up).
 */
export function showSecrets(title: string, secrets: Record<string, string>) {
  const panel = $('secrets')
  const list = $('secrets-list')
  $('secrets-title').textContent = title
  list.replaceChildren(
    ...Object.entries(secrets).map(([which, value]) => {
      const copy = h('button', { type: 'button', class: 'secondary', id: `copy-${which}`, 'aria-label': `Copy ${SECRET_LABELS[which] ?? which}` }, 'Copy')
      copy.addEventListener('click', async () => {
        copy.textContent = (await copyText(value)) ? 'Copied' : 'Copy failed: select the text'
        setTimeout(() => (copy.textContent = 'Copy'), 2000)
      })
      return h('div', { class: 'secret' }, h('dt', {}, SECRET_LABELS[which] ?? which), h('dd', {}, h('code', { id: `secret-${which}` }, value), copy))
    }),
  )
  panel.hidden = false
  $('secrets-done').focus()
}

/** Removes the secrets from the page (Done, or signing out). */
export function hideSecrets() {
  $('secrets-list').replaceChildren()
  $('secrets').hidden = true
}

export function wireSecretsPanel() {
  $('secrets-done').addEventListener('click', hideSecrets)
}
