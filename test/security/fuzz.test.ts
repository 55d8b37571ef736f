// Property-based fuzzing (fast-check, TESTING E1/C2/C4) of REST bodies and query strings on every route
// and of WebSocket frames of every type. Properties: never a 5xx (503 aside), always the §3 envelope,
// the socket stays up with no INTERNAL_ERROR frame, the server still answers /health, and nothing
// mallory may not change has changed. A fixed seed keeps CI reproducible; FUZZ_SEED / FUZZ_RUNS
// override it (a failure prints its seed and counterexample path to replay).

import { afterAll, beforeAll, expect, test } from 'bun:test'
import fc from 'fast-check'
import { WsClient } from '../support/ws'
import { expectAlive, expectSane, makeWorld, protectedState, resolve, resolveBody, ROUTES, send, type World } from './hostile-kit'

const SEED = Number(process.env.FUZZ_SEED ?? 20261126)
const RUNS = Number(process.env.FUZZ_RUNS ?? 60)
let w: World
let before: Awaited<ReturnType<typeof protectedState>>
let runs = 0

beforeAll(async () => {
  w = await makeWorld()
  before = await protectedState(w)
})
afterAll(async () => {
  console.log(`fuzz: ${runs} generated inputs (seed ${SEED}, ${RUNS} runs per property)`)
  await w.s.stop()
})

const opts = (extra: Partial<fc.Parameters<unknown>> = {}) => ({ seed: SEED, numRuns: RUNS, interruptAfterTimeLimit: 20_000, markInterruptAsFailure: false, ...extra })

/** Any JSON-ish value, hostile strings included (control characters, lone surrogates, long runs up to `long`). */
const hostileString = (long: number) =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom('', ' ', '\u0000', '\r\n', '../..', '%00', '💥', '\ud800', 'room_', 'msg_', 'owner', 'admin', '__proto__', 'constructor'),
    fc.nat(long).map((n) => 'x'.repeat(n)),
  )
const valueOf = (long: number): fc.Arbitrary<unknown> =>
  fc.letrec((tie) => ({
    v: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      hostileString(long),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom(-1, 0, 1, 2 ** 31, 2 ** 53 + 1, Number.MAX_VALUE),
      fc.array(tie('v'), { maxLength: 5 }),
      fc.dictionary(hostileString(40), tie('v'), { maxKeys: 5 }),
    ),
  })).v
const value = valueOf(70_000) // REST: past MAX_BODY_BYTES too (413)
const small = valueOf(6_000) // WS: frames stay under MAX_WS_FRAME_BYTES (an oversize frame is a 1009 close by design)
const report = (what: string, out: fc.RunDetails<unknown>) => `${what}: seed ${out.seed}, path ${out.counterexamplePath}: ${String(out.errorInstance).slice(0, 300)} on ${fc.stringify(out.counterexample).slice(0, 300)}`
const EXTRA_KEYS = ['seq', 'sender_id', 'tenant_id', 'message_id', 'role', 'room_id', 'user_id', 'created_at', 'is_admin', 'last_seq', '__proto__', 'constructor', 'type']

/** A body near the route's valid one: each key kept, replaced by a hostile value or dropped, plus extras. */
function bodyFor(base: Record<string, unknown>): fc.Arbitrary<unknown> {
  const near = fc
    .record(Object.fromEntries(Object.entries(base).map(([k, v]) => [k, fc.oneof(fc.constant(v), value)])), { requiredKeys: [] })
    .chain((b) => fc.dictionary(fc.constantFrom(...EXTRA_KEYS), value, { maxKeys: 3 }).map((extra) => ({ ...extra, ...b })))
  return fc.oneof({ weight: 4, arbitrary: near }, { weight: 1, arbitrary: value })
}

test('REST bodies on every route: never a 5xx, always the envelope', async () => {
  for (const r of ROUTES.filter((x) => x.method !== 'GET' && x.path !== '/v1/admin/backup')) {
    const base = resolveBody(w, r.body ?? {}) as Record<string, unknown>
    const out = await fc.check(
      fc.asyncProperty(bodyFor(base), async (body) => {
        runs++
        const res = await send(w, r, undefined, { raw: JSON.stringify(body) ?? 'null' })
        expectSane(res, `${r.method} ${r.path}`)
      }),
      opts(),
    )
    if (out.failed) throw new Error(report(`${r.method} ${r.path}`, out))
  }
}, 180_000) // ~50 routes since Revision 2: 46 s on two cores at load 20

test('query strings on every GET route: never a 5xx', async () => {
  const key = fc.constantFrom('limit', 'cursor', 'after_seq', 'before_seq', 'user_ids', 'tenant_id', 'kind', 'token', 'limit[]')
  const qv = fc.oneof(fc.string({ maxLength: 30 }), fc.integer().map(String), fc.constantFrom('-1', '0', '201', '1e3', 'NaN', '%ff', '%00', 'eyJ4IjoxfQ'))
  for (const r of ROUTES.filter((x) => x.method === 'GET')) {
    const out = await fc.check(
      fc.asyncProperty(fc.array(fc.tuple(key, qv), { maxLength: 4 }), async (pairs) => {
        runs++
        const q = pairs.map(([k, v]) => `${k}=${v.startsWith('%') ? v : encodeURIComponent(v)}`).join('&')
        expectSane(await send(w, r, undefined, { path: `${resolve(w, r.path.split('?')[0])}?${q}` }), `GET ${r.path}?${q}`)
      }),
      opts(),
    )
    if (out.failed) throw new Error(report(`GET ${r.path}`, out))
  }
}, 60_000)

test('WebSocket frames of every type: an answer or an error frame, never INTERNAL_ERROR, socket up', async () => {
  const c = await WsClient.connect(`${w.s.wsUrl}?token=${w.token}`)
  await c.next('sync.done')
  const types = ['send_message', 'ack', 'read', 'typing.start', 'typing.stop', 'sync', 'notification.ack', 'ping']
  const rooms = [w.ids.G, w.ids.H, w.ids.C, w.ids.D, w.ids.M, w.ids.v_G]
  const frame = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record(
        {
          type: fc.oneof(fc.constantFrom(...types), hostileString(100)),
          room_id: fc.oneof(fc.constantFrom(...rooms), small),
          content: small,
          meta: small,
          client_msg_id: small,
          seq: fc.oneof(fc.nat(20), small),
          after_seq: fc.oneof(fc.nat(20), small),
          notification_id: small,
          request_id: fc.oneof(fc.string({ maxLength: 70 }), small),
        },
        { requiredKeys: [] },
      ),
    },
    { weight: 1, arbitrary: small },
  )
  let n = 0
  const out = await fc.check(
    fc.asyncProperty(frame, async (f) => {
      const text = JSON.stringify(f) ?? 'null'
      fc.pre(text.length < 60_000) // an oversize frame is closed with 1009 by design (hostile-ws covers it)
      runs++
      const start = c.log.length
      c.send(text)
      await c.request({ type: 'ping', request_id: `fz${++n}` }, 'pong', 5000)
      const bad = c.log.slice(start).filter((x) => x.type === 'error' && x.code === 'INTERNAL_ERROR')
      expect(bad).toEqual([])
      expect(c.ws.readyState).toBe(WebSocket.OPEN)
    }),
    opts({ numRuns: RUNS * 20 }),
  )
  c.close()
  if (out.failed) throw new Error(report('WS', out))
}, 60_000)

test('after all of it: nothing mallory may not change has changed, and the server is up', async () => {
  expect(await protectedState(w)).toEqual(before)
  await expectAlive(w)
})
