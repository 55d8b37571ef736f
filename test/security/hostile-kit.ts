// Shared by hostile.test.ts and fuzz.test.ts: a seeded world with a hostile user (mallory, holding a
// user token like a browser would), the table of every REST route, a response sanity check and a
// snapshot of everything mallory must never be able to change.

import { expect } from 'bun:test'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { call, type CallResult } from '../support/http'

export interface World {
  s: TestServer
  T: TestTenant // mallory's tenant
  V: TestTenant // a victim tenant (same user ids on purpose)
  Z: TestTenant // a throwaway tenant the admin-route fuzzing may change
  token: string // mallory's user token
  ids: Record<string, string>
}

/** mallory's rooms: M (she owns it), G (plain member), C (channel, plain member). H, D: not hers. */
export async function makeWorld(env: Record<string, string> = {}): Promise<World> {
  const s = await startTestServer({ WS_MSG_RATE: '1000000', ...env })
  const [T, V, Z] = [await s.newTenant(), await s.newTenant(), await s.newTenant()]
  const ids: Record<string, string> = {}
  const ok = async (p: Promise<CallResult>) => {
    const r = await p
    if (r.status >= 300) throw new Error(`setup failed: ${r.status} ${JSON.stringify(r.body)}`)
    return r.body
  }
  for (const [t, pre] of [[T, ''], [V, 'v_']] as const) {
    const alice = t.as('alice')
    ids[pre + 'G'] = (await ok(alice('POST', '/v1/rooms', { body: { type: 'group', members: ['bob', 'mallory'], name: 'g', metadata: { k: 'v' } } }))).room_id
    ids[pre + 'H'] = (await ok(alice('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'], name: 'h' } }))).room_id
    ids[pre + 'C'] = (await ok(alice('POST', '/v1/rooms', { body: { type: 'channel', members: ['bob', 'mallory'], name: 'c' } }))).room_id
    ids[pre + 'D'] = (await ok(alice('POST', '/v1/rooms', { body: { type: 'dm', members: ['bob'] } }))).room_id
    await ok(alice('POST', `/v1/rooms/${ids[pre + 'C']}/members`, { body: { user_ids: ['bob'], role: 'admin' } }))
    for (const r of ['G', 'H', 'C', 'D']) {
      ids[pre + r + 'msg'] = (await ok(alice('POST', `/v1/rooms/${ids[pre + r]}/messages`, { body: { content: `alice in ${r}`, meta: { m: 1 } } }))).message_id
      await ok(t.as('bob')('POST', `/v1/rooms/${ids[pre + r]}/messages`, { body: { content: `bob in ${r}` } }))
    }
  }
  const mallory = T.as('mallory')
  ids.M = (await ok(mallory('POST', '/v1/rooms', { body: { type: 'group', members: ['bob'], name: 'm' } }))).room_id
  ids.Mmsg = (await ok(mallory('POST', `/v1/rooms/${ids.M}/messages`, { body: { content: 'mine' } }))).message_id
  ids.sub = (await ok(mallory('POST', '/v1/subscriptions', { body: { topic: 'news' } }))).subscription_id
  // SPEC §12: one upload of mallory's (ids are named with a capital so the path-id tests pick them up)
  ids.Upl = (await ok(call(s.url, 'POST', '/v1/uploads?filename=notes.txt', { headers: { ...T.headers('mallory'), 'content-type': 'text/plain' }, raw: 'mine' }))).upload_id
  const token = (await ok(T.as('backend')('POST', '/v1/tokens', { body: { user_id: 'mallory', ttl_s: 3600 } }))).token
  return { s, T, V, Z, token, ids }
}

export type Caller = 'token' | 'key' | 'admin'
export interface Route {
  method: string
  /** With :params resolved from World.ids by name (own = mallory's, e.g. :M). */
  path: string
  body?: Record<string, unknown>
  caller: Caller
}

/** Every REST route of the OpenAPI document, each with a valid base body and a caller who may use it. */
export const ROUTES: Route[] = [
  { method: 'GET', path: '/health', caller: 'token' },
  { method: 'GET', path: '/metrics', caller: 'token' },
  { method: 'POST', path: '/v1/rooms', body: { type: 'group', members: ['bob'], name: 'n', metadata: { a: 1 } }, caller: 'token' },
  { method: 'GET', path: '/v1/rooms?limit=5', caller: 'token' },
  { method: 'GET', path: '/v1/rooms/:G', caller: 'token' },
  { method: 'PATCH', path: '/v1/rooms/:M', body: { name: 'renamed', metadata: { b: 2 } }, caller: 'token' },
  { method: 'PATCH', path: '/v1/rooms/:G', body: { name: 'pwned', metadata: { pwned: true } }, caller: 'token' },
  { method: 'GET', path: '/v1/channels', caller: 'token' },
  { method: 'POST', path: '/v1/rooms/:C/join', caller: 'token' },
  { method: 'POST', path: '/v1/rooms/:H/join', caller: 'token' },
  { method: 'GET', path: '/v1/rooms/:G/members', caller: 'token' },
  { method: 'POST', path: '/v1/rooms/:M/members', body: { user_ids: ['carol'], role: 'admin' }, caller: 'token' },
  { method: 'POST', path: '/v1/rooms/:G/members', body: { user_ids: ['mallory', 'eve'], role: 'admin' }, caller: 'token' },
  { method: 'DELETE', path: '/v1/rooms/:G/members/bob', caller: 'token' },
  { method: 'DELETE', path: '/v1/rooms/:C/members/alice', caller: 'token' },
  { method: 'POST', path: '/v1/rooms/:G/messages', body: { content: 'hi', meta: { x: 1 }, client_msg_id: 'c1' }, caller: 'token' },
  { method: 'POST', path: '/v1/rooms/:H/messages', body: { content: 'intrude' }, caller: 'token' },
  { method: 'GET', path: '/v1/rooms/:G/messages?after_seq=0&limit=5', caller: 'token' },
  { method: 'GET', path: '/v1/rooms/:G/messages/:Gmsg', caller: 'token' },
  { method: 'PATCH', path: '/v1/rooms/:M/messages/:Mmsg', body: { content: 'edited', meta: { e: 1 } }, caller: 'token' },
  { method: 'PATCH', path: '/v1/rooms/:G/messages/:Gmsg', body: { content: 'pwned' }, caller: 'token' },
  { method: 'DELETE', path: '/v1/rooms/:G/messages/:Gmsg', caller: 'token' },
  { method: 'POST', path: '/v1/acks', body: { room_id: ':G', seq: 1 }, caller: 'token' },
  { method: 'POST', path: '/v1/rooms/:G/read', body: { seq: 1 }, caller: 'token' },
  { method: 'GET', path: '/v1/presence?user_ids=alice,bob', caller: 'token' },
  { method: 'POST', path: '/v1/tokens', body: { user_id: 'alice', ttl_s: 60 }, caller: 'token' },
  { method: 'POST', path: '/v1/tokens', body: { user_id: 'someone', ttl_s: 60 }, caller: 'key' },
  { method: 'POST', path: '/v1/notify', body: { topic: 'news', payload: { p: 1 }, targets: { user_ids: ['bob'], room_id: ':G', topic_subscribers: true } }, caller: 'key' },
  { method: 'POST', path: '/v1/subscriptions', body: { topic: 'news', endpoint: 'not a url' }, caller: 'key' },
  { method: 'POST', path: '/v1/subscriptions', body: { topic: 'sport' }, caller: 'token' },
  { method: 'GET', path: '/v1/subscriptions', caller: 'token' },
  { method: 'DELETE', path: '/v1/subscriptions/:sub', caller: 'token' },
  { method: 'POST', path: '/v1/admin/tenants', body: { name: 'z', config: { rate_limit_per_sec: 10 } }, caller: 'admin' },
  { method: 'GET', path: '/v1/admin/tenants', caller: 'admin' },
  { method: 'GET', path: '/v1/admin/tenants/:Z', caller: 'admin' },
  { method: 'PATCH', path: '/v1/admin/tenants/:Z', body: { name: 'z2', config: { features: { typing: false } } }, caller: 'admin' },
  { method: 'POST', path: '/v1/admin/tenants/:Z/rotate-key', body: { which: 'webhook_secret' }, caller: 'admin' },
  { method: 'GET', path: '/v1/admin/dead-letters?limit=5', caller: 'admin' },
  { method: 'POST', path: '/v1/admin/dead-letters/dl_missing/retry', caller: 'admin' },
  { method: 'DELETE', path: '/v1/admin/dead-letters/dl_missing', caller: 'admin' },
  { method: 'POST', path: '/v1/admin/backup', caller: 'admin' },
  // SPEC Revision 2 (§11-§16). Targets are chosen so that success changes nothing protectedState
  // watches: mallory's own room M, users nobody watches, missing report and job ids.
  { method: 'GET', path: '/v1/rooms/:G/changes?after_rev=0&limit=5', caller: 'token' },
  { method: 'POST', path: '/v1/rooms/:M/messages', body: { content: 'reply', parent_id: ':Mmsg', mentions: ['bob'], attachments: [], client_msg_id: 'r1' }, caller: 'token' },
  { method: 'PATCH', path: '/v1/rooms/:M/messages/:Mmsg', body: { content: 'edited', mentions: ['bob'] }, caller: 'token' },
  { method: 'GET', path: '/v1/rooms/:G/messages/:Gmsg/replies?limit=5', caller: 'token' },
  { method: 'GET', path: '/v1/rooms/:G/messages?top_level=true', caller: 'token' },
  { method: 'PUT', path: '/v1/rooms/:G/messages/:Gmsg/reactions/%F0%9F%91%8D', caller: 'token' },
  { method: 'DELETE', path: '/v1/rooms/:G/messages/:Gmsg/reactions/%F0%9F%91%8D', caller: 'token' },
  { method: 'GET', path: '/v1/rooms/:G/messages/:Gmsg/reactions?limit=5', caller: 'token' },
  { method: 'GET', path: '/v1/mentions?limit=5', caller: 'token' },
  { method: 'PUT', path: '/v1/rooms/:M/pins/:Mmsg', caller: 'token' },
  { method: 'PUT', path: '/v1/rooms/:G/pins/:Gmsg', caller: 'token' },
  { method: 'DELETE', path: '/v1/rooms/:M/pins/:Mmsg', caller: 'token' },
  { method: 'GET', path: '/v1/rooms/:G/pins', caller: 'token' },
  { method: 'POST', path: '/v1/uploads?filename=a.txt', caller: 'token' },
  { method: 'GET', path: '/v1/uploads/:Upl', caller: 'token' },
  { method: 'GET', path: '/v1/uploads/:Upl/url', caller: 'token' },
  { method: 'GET', path: '/v1/uploads/:Upl/content?exp=1&sig=x', caller: 'token' },
  { method: 'GET', path: '/v1/search?q=alice&limit=5', caller: 'token' },
  { method: 'POST', path: '/v1/rooms/:M/bans', body: { user_id: 'bob', reason: 'r', duration_s: 60 }, caller: 'token' },
  { method: 'POST', path: '/v1/rooms/:G/bans', body: { user_id: 'bob', reason: 'r' }, caller: 'token' },
  { method: 'GET', path: '/v1/rooms/:M/bans', caller: 'token' },
  { method: 'DELETE', path: '/v1/rooms/:M/bans/bob', caller: 'token' },
  { method: 'POST', path: '/v1/rooms/:M/mutes', body: { user_id: 'bob', duration_s: 60 }, caller: 'token' },
  { method: 'POST', path: '/v1/rooms/:C/mutes', body: { user_id: 'bob' }, caller: 'token' },
  { method: 'GET', path: '/v1/rooms/:M/mutes', caller: 'token' },
  { method: 'DELETE', path: '/v1/rooms/:M/mutes/bob', caller: 'token' },
  { method: 'PATCH', path: '/v1/rooms/:G', body: { read_only: true }, caller: 'token' },
  { method: 'DELETE', path: '/v1/rooms/:G', caller: 'token' },
  { method: 'PUT', path: '/v1/blocks/bob', caller: 'token' },
  { method: 'DELETE', path: '/v1/blocks/bob', caller: 'token' },
  { method: 'GET', path: '/v1/blocks', caller: 'token' },
  { method: 'POST', path: '/v1/reports', body: { room_id: ':G', message_id: ':Gmsg', reason: 'spam', note: 'n' }, caller: 'token' },
  { method: 'POST', path: '/v1/moderation/bans', body: { user_id: 'someone', reason: 'r', duration_s: 60 }, caller: 'key' },
  { method: 'GET', path: '/v1/moderation/bans', caller: 'key' },
  { method: 'DELETE', path: '/v1/moderation/bans/someone', caller: 'key' },
  { method: 'GET', path: '/v1/moderation/reports?status=open', caller: 'key' },
  { method: 'POST', path: '/v1/moderation/reports/rep_missing/resolve', body: { action: 'dismiss', note: 'n' }, caller: 'key' },
  { method: 'GET', path: '/v1/moderation/audit', caller: 'key' },
  { method: 'POST', path: '/v1/users/nobody/erase', caller: 'key' },
  { method: 'GET', path: '/v1/users/mallory/export', caller: 'key' },
  { method: 'GET', path: '/v1/rooms/:G/export', caller: 'key' },
  { method: 'GET', path: '/v1/jobs/job_missing', caller: 'key' },
  { method: 'GET', path: '/v1/admin/audit', caller: 'admin' },
  { method: 'GET', path: '/v1/admin/jobs/job_missing', caller: 'admin' },
  { method: 'GET', path: '/v1/admin/stats?window=15m', caller: 'admin' },
  // Last: it takes the throwaway tenant Z away from the admin routes above.
  { method: 'DELETE', path: '/v1/admin/tenants/:Z', caller: 'admin' },
]

/** Resolves :names in a path or a body value. */
export const resolve = (w: World, v: string) =>
  v.replace(/:([A-Za-z]+)/g, (m, k) => (k === 'Z' ? w.Z.tenant_id : (w.ids[k] ?? m)))

export function resolveBody(w: World, body: unknown): unknown {
  if (typeof body === 'string') return body.startsWith(':') ? resolve(w, body) : body
  if (Array.isArray(body)) return body.map((b) => resolveBody(w, b))
  if (body && typeof body === 'object') return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, resolveBody(w, v)]))
  return body
}

export function headersFor(w: World, caller: Caller): Record<string, string> {
  if (caller === 'admin') return { 'x-master-key': 'test-master-key' }
  if (caller === 'key') return w.T.headers('mallory')
  return { authorization: `Bearer ${w.token}` }
}

/** Sends raw bytes or JSON as `caller`. */
export function send(w: World, r: Route, body: unknown, o: { raw?: string | Uint8Array; headers?: Record<string, string>; path?: string } = {}) {
  const headers = { ...headersFor(w, r.caller), ...o.headers }
  if (o.raw !== undefined) headers['content-type'] ??= 'application/json'
  return call(w.s.url, r.method, o.path ?? resolve(w, r.path), { headers, ...(o.raw !== undefined ? { raw: o.raw } : body === undefined ? {} : { body }) })
}

/** Never a 5xx but 503, always the §3 envelope on errors, always an X-Request-Id. */
export function expectSane(r: CallResult, what: string) {
  const bad = r.status >= 500 && r.status !== 503
  const envelope = r.status < 400 || (r.body?.success === false && typeof r.body?.error?.code === 'string' && typeof r.body?.error?.message === 'string')
  if (bad || !envelope || !r.headers.get('x-request-id')) expect({ what, status: r.status, body: r.body }).toEqual({ what, status: '< 500 with the §3 envelope', body: null } as never)
  // An error message never carries SQL, a stack or a file path.
  if (r.status >= 400) expect(r.body.error.message).not.toMatch(/SQLITE|at \/|\.ts:|SELECT |INSERT |TypeError|RangeError/)
}

export async function expectAlive(w: World) {
  const h = await call(w.s.url, 'GET', '/health')
  expect(h.status).toBe(200)
}

/**
 * Everything mallory must never change: other users' messages, other users' memberships and roles,
 * rooms she does not manage, rooms she cannot see, the victim tenant, and her own tenant's config.
 */
export async function protectedState(w: World) {
  const out: Record<string, unknown> = {}
  for (const [t, pre] of [[w.T, ''], [w.V, 'v_']] as const) {
    const alice = t.as('alice')
    for (const r of ['G', 'H', 'C', 'D']) {
      const id = w.ids[pre + r]
      const room = (await alice('GET', `/v1/rooms/${id}`)).body
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const msgs: any[] = []
      for (let after = 0, more = true; more; ) {
        const page = (await alice('GET', `/v1/rooms/${id}/messages?after_seq=${after}&limit=200`)).body
        msgs.push(...page.messages)
        more = page.has_more && page.messages.length > 0
        after = (msgs.at(-1)?.seq as number) ?? 0
      }
      const members = (await alice('GET', `/v1/rooms/${id}/members?limit=200`)).body.members
      // Gap-free always; mallory's own sends may add seqs in G and C, so compare the others only.
      expect(msgs.map((m: { seq: number }) => m.seq)).toEqual(msgs.map((_: unknown, i: number) => i + 1))
      out[pre + r] = {
        name: room.name,
        metadata: room.metadata,
        type: room.type,
        ...(r === 'H' || r === 'D' || pre ? { last_seq: room.last_seq, member_count: room.member_count } : {}),
        others: msgs.filter((m: { sender_id: string }) => m.sender_id !== 'mallory').map((m: Record<string, unknown>) => [m.seq, m.message_id, m.sender_id, m.content, m.meta, m.edited_at, m.deleted_at]),
        mallorySenders: [...new Set(msgs.filter((m: { content: string }) => /INJECTED/.test(JSON.stringify(m))).map((m: { sender_id: string }) => m.sender_id))],
        members: members.filter((m: { user_id: string }) => m.user_id !== 'mallory').map((m: Record<string, unknown>) => [m.user_id, m.role]),
        malloryRole: members.find((m: { user_id: string }) => m.user_id === 'mallory')?.role ?? null,
      }
    }
  }
  const tenant = (await w.s.admin('GET', `/v1/admin/tenants/${w.T.tenant_id}`)).body
  out.tenant = { name: tenant.name, config: tenant.config }
  out.tenantV = (await w.s.admin('GET', `/v1/admin/tenants/${w.V.tenant_id}`)).body
  out.keyWorks = (await w.T.as('alice')('GET', '/v1/rooms')).status
  return out
}

/** A nested JSON text `depth` levels deep, built without recursion. */
export const deepJson = (depth: number, open = '{"a":', close = '}', leaf = '1') => open.repeat(depth) + leaf + close.repeat(depth)
