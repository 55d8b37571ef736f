// The SQLite search index is a file the server can lose (SPEC §13, docs/search.md): deleted while
// running, corrupt at start, or rebuilt with `chatapi search rebuild`, results come back. Also:
// edits made while no worker ran are applied, and the rebuild command refuses a live index.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { onSqlite } from '../support/storage'
import type { CallResult } from '../support/http'
import { runCli } from '../cli/run'
import { room, send } from './helpers'

const dir = mkdtempSync(join(tmpdir(), 'chatapi-search-'))
const dbPath = join(dir, 'chat.db')
const indexPath = join(dir, 'chat.search.db')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let s: TestServer
let t: TestTenant
/** alice of the tenant, on whichever server is running now (the tests restart it on the same files). */
const alice = (method: string, path: string, body?: unknown) => s.call(method, path, { headers: t.headers('alice'), body })

/** What a search answers (sorted) once `ok` holds, polling up to `ms` while a rebuild runs. */
async function found(q: string, ok: (got: string[]) => boolean, ms = 5000): Promise<string[]> {
  const deadline = performance.now() + ms
  for (;;) {
    const r: CallResult = await alice('GET', `/v1/search?q=${encodeURIComponent(q)}&limit=200`)
    const got = r.status === 200 ? (r.body.results as { message: { content: string } }[]).map((x) => x.message.content).sort() : [`status ${r.status}`]
    if (ok(got) || performance.now() > deadline) return got
    await Bun.sleep(25)
  }
}
const count = (n: number) => (got: string[]) => got.length === n
const exactly = (...want: string[]) => (got: string[]) => JSON.stringify(got) === JSON.stringify(want)

describe.skipIf(!onSqlite)('the search index file', () => {
  let roomId: string
  const start = () => startTestServer({ DATABASE_URL: dbPath })
  beforeAll(async () => {
    s = await start()
    t = await s.newTenant()
    roomId = (await room(t.as('alice'), 'group')).room_id
    for (let i = 0; i < 30; i++) await send(t.as('alice'), roomId, `gannet ${i}`)
    await send(t.as('alice'), roomId, 'a cormorant')
    expect(await found('cormorant', exactly('a cormorant'))).toEqual(['a cormorant'])
    expect(existsSync(indexPath)).toBe(true)
  })
  afterAll(() => s?.stop())

  test('an edit and a delete made while no search worker ran are applied when one starts (search_changes)', async () => {
    const m = (await alice('GET', `/v1/rooms/${roomId}/messages?limit=200`)).body.messages as { message_id: string; content: string }[]
    const id = (content: string) => m.find((x) => x.content === content)!.message_id
    await s.handle.workers!.stop(2000) // the index file stays as it is
    expect((await alice('PATCH', `/v1/rooms/${roomId}/messages/${id('gannet 3')}`, { content: 'puffin now' })).status).toBe(200)
    expect((await alice('DELETE', `/v1/rooms/${roomId}/messages/${id('gannet 4')}`)).status).toBe(204)
    await s.stop()
    s = await start()
    expect(await found('puffin', exactly('puffin now'))).toEqual(['puffin now'])
    expect((await found('gannet', count(28))).length).toBe(28)
  })

  test('deleted while the server runs: the worker notices, starts a new file and fills it from the messages', async () => {
    for (const f of [indexPath, `${indexPath}-wal`, `${indexPath}-shm`]) rmSync(f, { force: true })
    const deadline = performance.now() + 3000 // the worker looks at the path once a pass (at least every second)
    while (!existsSync(indexPath) && performance.now() < deadline) await Bun.sleep(20)
    expect(existsSync(indexPath)).toBe(true)
    expect(await found('cormorant', exactly('a cormorant'))).toEqual(['a cormorant'])
    expect((await found('gannet', count(28))).length).toBe(28)
    expect(await found('puffin', exactly('puffin now'))).toEqual(['puffin now'])
  })

  test('`chatapi search rebuild` refuses while a server uses the index', async () => {
    rmSync(indexPath) // even with the index gone: the heartbeat is beside it
    const r = await runCli(['search', 'rebuild'], { DATABASE_URL: dbPath })
    expect(r.code).toBe(1)
    expect(existsSync(indexPath)).toBe(false)
    expect(r.stderr).toContain('in use by a running server')
  })

  test('corrupt at start: replaced by a new file filled from the messages', async () => {
    await s.stop()
    writeFileSync(indexPath, Buffer.alloc(8192, 0x5a)) // not a database any more
    rmSync(`${indexPath}-wal`, { force: true })
    s = await start()
    expect(await found('cormorant', exactly('a cormorant'))).toEqual(['a cormorant'])
    expect(await found('puffin', exactly('puffin now'))).toEqual(['puffin now'])
    expect((await found('gannet', count(28))).length).toBe(28)
  })

  test('`chatapi search rebuild` on a stopped server builds the index; the next start answers from it at once', async () => {
    await s.stop()
    rmSync(indexPath, { force: true })
    const r = await runCli(['search', 'rebuild'], { DATABASE_URL: dbPath }, 30_000)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out).toEqual({ path: indexPath, messages: 31, seconds: expect.any(Number) }) // every row read (the deleted one is not indexed)
    expect(existsSync(indexPath)).toBe(true)
    s = await start()
    const first = await alice('GET', '/v1/search?q=cormorant')
    expect(first.body.results.map((x: { message: { content: string } }) => x.message.content)).toEqual(['a cormorant'])
    expect((await found('gannet', count(28))).length).toBe(28)
  })

  test('a search worker that dies is restarted; searches answer 503 while it is down, then results again', async () => {
    s.handle.workers!.terminate('search')
    const r = await alice('GET', '/v1/search?q=cormorant')
    // Either it was already back (200) or the answer says so (503 with the envelope): never a hang or a 500.
    expect([200, 503]).toContain(r.status)
    if (r.status === 503) expect(r.body.error.code).toBe('SERVICE_UNAVAILABLE')
    expect(await found('cormorant', exactly('a cormorant'))).toEqual(['a cormorant'])
    const h = await s.call('GET', '/health')
    expect(h.body.workers.search).toMatchObject({ state: 'running', restarts: 1 })
  })

  test('usage errors exit 2', async () => {
    expect((await runCli(['search'])).code).toBe(2)
    expect((await runCli(['search', 'rebuild', '--x'])).code).toBe(2)
    expect((await runCli(['search', 'rebuild'], { DATABASE_URL: ':memory:' })).code).toBe(2)
  })
})
