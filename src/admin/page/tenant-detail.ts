// One tenant: usage figures, live charts, the config form (errors shown next to their field),
// secret rotation (the new secret shown once), its audit log and deletion (the name typed to confirm).

import type { Api } from './api'
import { describeError, ApiError } from './api'
import { createChartPanel, type ChartPanel } from './charts'
import { $, confirmButton, fmtTime, h, say } from './dom'

export interface Tenant {
  tenant_id: string
  name: string
  config: Record<string, any>
  created_at: string
}
interface TenantWithUsage extends Tenant {
  usage: { rooms: number; messages: number; connections: number }
}

type Field =
  | { key: string; label: string; kind: 'int' | 'text' | 'list'; hint?: string }
  | { key: string; label: string; kind: 'bool'; default: boolean }

/** The editable config keys (SPEC §4 tenant config); `features.x` keys are nested on the wire. */
const FIELDS: Field[] = [
  { key: 'rate_limit_per_sec', label: 'Rate limit (requests per second)', kind: 'int' },
  { key: 'max_message_bytes', label: 'Largest message (bytes)', kind: 'int' },
  { key: 'max_room_members', label: 'Largest room (members)', kind: 'int' },
  { key: 'max_connections', label: 'WebSocket connections (at most)', kind: 'int' },
  { key: 'webhook_url', label: 'Webhook URL', kind: 'text', hint: 'empty: no webhooks' },
  { key: 'webhook_events', label: 'Webhook events', kind: 'list', hint: 'comma-separated, e.g. message.created, room.created; empty: none' },
  { key: 'require_user_tokens', label: 'Require user tokens (no X-User-Id with the API key)', kind: 'bool', default: false },
  { key: 'features.typing', label: 'Typing indicators', kind: 'bool', default: true },
  { key: 'features.presence', label: 'Presence', kind: 'bool', default: true },
  { key: 'features.read_receipts', label: 'Read receipts', kind: 'bool', default: true },
]
const SECRETS: [string, string][] = [['api_key', 'API key'], ['webhook_secret', 'webhook secret'], ['user_token_secret', 'user-token secret']]

const valueAt = (config: Record<string, any>, key: string) => key.split('.').reduce<any>((o, k) => o?.[k], config)
const fieldId = (key: string) => `cfg-${key.replace('.', '-')}`

let charts: ChartPanel | null = null

export async function openTenant(
  api: Api,
  tenantId: string,
  o: {
    showSecrets: (title: string, s: Record<string, string>) => void
    /** After a delete: the detail panel is closed; `jobId` removes its data in the background. */
    onDeleted: (t: Tenant, jobId: string) => Promise<void>
    /** Opens the audit log filtered to this tenant. */
    showAudit: (tenantId: string) => void
  },
) {
  const root = $('tenant-detail')
  const status = $('tenant-status')
  let t: TenantWithUsage
  try {
    t = await api<TenantWithUsage>('GET', `/v1/admin/tenants/${encodeURIComponent(tenantId)}`)
  } catch (e) {
    return say(status, describeError(e))
  }
  root.hidden = false
  root.dataset.tenantId = t.tenant_id
  $('tenant-title').textContent = t.name
  $('tenant-id').textContent = t.tenant_id
  $('tenant-created').textContent = fmtTime(t.created_at)
  const usage = async () => {
    const u = (await api<TenantWithUsage>('GET', `/v1/admin/tenants/${encodeURIComponent(tenantId)}`)).usage
    $('usage-rooms').textContent = String(u.rooms)
    $('usage-messages').textContent = String(u.messages)
    $('usage-connections').textContent = String(u.connections)
  }
  $('usage-rooms').textContent = String(t.usage.rooms)
  $('usage-messages').textContent = String(t.usage.messages)
  $('usage-connections').textContent = String(t.usage.connections)
  $('usage-refresh').onclick = () => void usage().catch((e) => say(status, describeError(e)))

  charts?.destroy()
  charts = createChartPanel($('tenant-charts'), api, 'tenant', t.tenant_id)

  renderConfigForm(api, t)

  // Secrets: each rotation kills the old value at once (SPEC §4), so the button asks twice.
  $('rotate-buttons').replaceChildren(
    ...SECRETS.map(([which, label]) =>
      confirmButton(`Rotate ${label}`, `Press again: the old ${label} stops working`, { id: `rotate-${which}`, class: 'secondary' }, async () => {
        try {
          const r = await api<Record<string, string>>('POST', `/v1/admin/tenants/${encodeURIComponent(t.tenant_id)}/rotate-key`, { which })
          o.showSecrets(`New ${label} of ${t.name} (${t.tenant_id})`, r)
        } catch (e) {
          say(status, describeError(e))
        }
      }),
    ),
  )

  $('tenant-audit').onclick = () => void o.showAudit(t.tenant_id)
  wireDelete(api, t, status, o.onDeleted)
}

/**
 * Deleting a tenant (SPEC §15) cannot be undone, so it takes more than the second press the other
 * destructive buttons ask for: the operator types the tenant's name, which also proves they are
 * looking at the tenant they mean to delete.
 */
function wireDelete(api: Api, t: Tenant, status: HTMLElement, onDeleted: (t: Tenant, jobId: string) => Promise<void>) {
  const form = $<HTMLFormElement>('delete-form')
  const input = $<HTMLInputElement>('delete-confirm')
  const error = $('delete-confirm-error')
  const button = $<HTMLButtonElement>('delete-tenant')
  labelDelete(t)
  input.value = ''
  error.textContent = ''
  input.removeAttribute('aria-invalid')
  form.onsubmit = async (ev) => {
    ev.preventDefault()
    error.textContent = ''
    input.removeAttribute('aria-invalid')
    if (input.value.trim() !== t.name.trim()) {
      error.textContent = `Type the tenant's name, ${t.name}, exactly to delete it.`
      input.setAttribute('aria-invalid', 'true')
      input.focus()
      return
    }
    button.disabled = true
    try {
      const r = await api<{ job_id: string }>('DELETE', `/v1/admin/tenants/${encodeURIComponent(t.tenant_id)}`)
      closeTenant()
      await onDeleted(t, r.job_id)
    } catch (e) {
      say(status, describeError(e))
    } finally {
      button.disabled = false
    }
  }
}

/** The delete field's label names the tenant (again after a rename in the config form). */
const labelDelete = (t: Tenant) => ($('delete-confirm-label').textContent = `Type "${t.name}" to confirm`)

function closeTenant() {
  charts?.destroy()
  charts = null
  $('tenant-detail').hidden = true
}

function renderConfigForm(api: Api, t: Tenant) {
  const form = $<HTMLFormElement>('config-form')
  const formError = h('p', { id: 'config-error', class: 'error', role: 'alert' })
  const rows = [
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'cfg-name' }, 'Name'),
      h('input', { id: 'cfg-name', name: 'name', value: t.name, autocomplete: 'off', 'aria-describedby': 'cfg-name-error' }),
      h('span', { class: 'field-error', id: 'cfg-name-error', 'data-field': 'name' }),
    ),
  ]
  for (const f of FIELDS) {
    const id = fieldId(f.key)
    const current = valueAt(t.config, f.key)
    const err = h('span', { class: 'field-error', id: `${id}-error`, 'data-field': `config.${f.key}` })
    if (f.kind === 'bool') {
      const box = h('input', { id, type: 'checkbox', 'data-key': f.key, 'aria-describedby': err.id })
      box.checked = current ?? f.default
      rows.push(h('div', { class: 'field check' }, box, h('label', { for: id }, f.label), err))
    } else {
      const shown = current === undefined || current === null ? '' : Array.isArray(current) ? current.join(', ') : String(current)
      const input = h('input', { id, 'data-key': f.key, value: shown, autocomplete: 'off', inputmode: f.kind === 'int' ? 'numeric' : undefined, placeholder: f.kind === 'int' ? 'server default' : (f.hint ?? ''), 'aria-describedby': err.id })
      rows.push(h('div', { class: 'field' }, h('label', { for: id }, f.label), input, err))
    }
  }
  form.replaceChildren(...rows, h('div', { class: 'form-actions' }, h('button', { type: 'submit', id: 'config-save' }, 'Save changes'), formError))

  form.onsubmit = async (ev) => {
    ev.preventDefault()
    formError.textContent = ''
    for (const e of form.querySelectorAll<HTMLElement>('.field-error')) e.textContent = ''
    for (const i of form.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid')
    const body = changes(form, t)
    if (!body) return say(formError, 'Nothing changed.')
    try {
      const updated = await api<Tenant>('PATCH', `/v1/admin/tenants/${encodeURIComponent(t.tenant_id)}`, body)
      t.name = updated.name
      t.config = updated.config
      $('tenant-title').textContent = updated.name
      labelDelete(t)
      renderConfigForm(api, t)
      say($('config-error'), 'Saved.')
    } catch (e) {
      const target = e instanceof ApiError && e.field ? fieldErrorFor(form, e.field) : null
      if (target) {
        target.textContent = (e as ApiError).message
        const input = document.getElementById(target.id.replace(/-error$/, ''))
        input?.setAttribute('aria-invalid', 'true')
        input?.focus()
      } else formError.textContent = describeError(e)
    }
  }
}

/** The field's error slot: exact (`config.max_connections`) or the closest parent (`config.features`). */
function fieldErrorFor(form: HTMLElement, field: string): HTMLElement | null {
  const slots = [...form.querySelectorAll<HTMLElement>('.field-error')]
  return slots.find((s) => s.dataset.field === field) ?? slots.find((s) => s.dataset.field!.startsWith(`${field}.`)) ?? null
}

/** The PATCH body: the name if edited and only the config keys that changed (the API merges them). */
function changes(form: HTMLFormElement, t: Tenant): { name?: string; config?: Record<string, unknown> } | null {
  const out: { name?: string; config?: Record<string, any> } = {}
  const name = (form.querySelector('#cfg-name') as HTMLInputElement).value
  if (name !== t.name) out.name = name
  const config: Record<string, any> = {}
  for (const f of FIELDS) {
    const el = form.querySelector(`#${fieldId(f.key)}`) as HTMLInputElement
    const current = valueAt(t.config, f.key)
    let value: unknown
    if (f.kind === 'bool') {
      if (el.checked === (current ?? f.default)) continue
      value = el.checked
    } else {
      const raw = el.value.trim()
      const shown = current === undefined || current === null ? '' : Array.isArray(current) ? current.join(', ') : String(current)
      if (raw === shown) continue
      if (f.kind === 'int') {
        if (raw === '') continue // a limit cannot be unset through the API, only changed
        // Anything that is not a plain number goes as typed: the server names the field in its answer.
        value = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw
      } else if (f.kind === 'list') value = raw === '' ? [] : raw.split(/[\s,]+/).filter(Boolean)
      else value = raw === '' ? null : raw
    }
    const [a, b] = f.key.split('.')
    if (b) (config[a] ??= {})[b] = value
    else config[a] = value
  }
  if (Object.keys(config).length) out.config = config
  return Object.keys(out).length ? out : null
}
