// The admin console (SPEC §16): sign in with the master key (kept in sessionStorage for this tab,
// sent as X-Master-Key), then tenants, live charts, dead letters, the audit log, backups and
// health. Built for the browser by src/admin/bundle.ts; talks to this origin only.

import { ApiError, createApi, describeError, forgetKey, storedKey, storeKey, type Api } from './api'
import { createAuditView } from './audit'
import { createChartPanel, type ChartPanel } from './charts'
import { $ } from './dom'
import { createBackupsView, createDeadLettersView, loadHealth } from './operations'
import { createTenantsView, hideSecrets, wireSecretsPanel } from './tenants'

const VIEWS = ['overview', 'tenants', 'dead-letters', 'audit', 'backups', 'health'] as const
type View = (typeof VIEWS)[number]

let overview: ChartPanel | null = null
let healthTimer: ReturnType<typeof setInterval> | null = null

/** The client of the key signed in with; the views call it through `api`, so they are built once. */
let current: Api | null = null
const api: Api = (method, path, body) =>
  current ? current(method, path, body) : Promise.reject(new ApiError(401, 'SIGNED_OUT', 'Signed out: sign in again.'))
let wired = false

function show(view: View) {
  for (const v of VIEWS) {
    $(`view-${v}`).hidden = v !== view
    const tab = $(`nav-${v}`)
    if (v === view) tab.setAttribute('aria-current', 'page')
    else tab.removeAttribute('aria-current')
  }
}

function signOut(message = '') {
  forgetKey()
  current = null
  hideSecrets() // a secret shown once must not outlive the session in the DOM
  overview?.destroy()
  overview = null
  if (healthTimer) clearInterval(healthTimer)
  $('app').hidden = true
  $('signout').hidden = true
  $('login').hidden = false
  $('login-error').textContent = message
  $<HTMLInputElement>('master-key').value = ''
  $('master-key').focus()
}

/**
 * Builds the views and their listeners once per page load: signing out and in again must not add a
 * second listener to each button (a second tenant created, a second backup started per press).
 */
function wireViews() {
  if (wired) return
  wired = true
  const audit = createAuditView(api)
  const tenants = createTenantsView(api, {
    showAudit: (tenantId) => {
      show('audit')
      void audit.showTenant(tenantId)
    },
  })
  const deadLetters = createDeadLettersView(api)
  createBackupsView(api)
  for (const v of VIEWS)
    $(`nav-${v}`).onclick = () => {
      show(v)
      if (v === 'tenants') void tenants.load()
      if (v === 'dead-letters') void deadLetters.load()
      if (v === 'audit') void audit.load()
      if (v === 'health') void loadHealth()
    }
}

async function start(key: string): Promise<boolean> {
  const candidate = createApi(key, () => signOut('The server refused the master key (wrong, or changed since you signed in). Sign in again.'))
  try {
    await candidate('GET', '/v1/admin/stats') // cheap (in memory): proves the key without listing tenants
  } catch (e) {
    $('login-error').textContent =
      e instanceof ApiError && e.status === 401 ? 'Wrong master key: the server refused it.' : e instanceof ApiError && e.status === 403 ? e.message : describeError(e)
    return false
  }
  current = candidate
  storeKey(key)
  $('login').hidden = true
  $('app').hidden = false
  $('signout').hidden = false
  show('overview')
  wireViews()
  overview = createChartPanel($('overview-charts'), api, 'all', null)
  void loadHealth()
  healthTimer = setInterval(() => void loadHealth(), 15_000)
  return true
}

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault()
  const input = $<HTMLInputElement>('master-key')
  const key = input.value.trim()
  if (!key) return void ($('login-error').textContent = 'Enter the master key (MASTER_API_KEY).')
  $('login-error').textContent = ''
  if (await start(key)) input.value = ''
})
$('signout').addEventListener('click', () => signOut())
wireSecretsPanel()

const saved = storedKey()
if (saved) void start(saved).then((ok) => ok || forgetKey())
else $('master-key').focus()
