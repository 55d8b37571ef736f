// openapi-typescript generates types from the served document, and tsc (TypeScript itself, not our
// checker) type-checks a small client written against them only (test/openapi/client/client.ts):
// a room, a message, a member change. A deliberately wrong client must fail to compile, so the
// types are real rather than `any`; then the client runs against the same server.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestServer, type TestServer } from '../support/server'

const ROOT = join(import.meta.dir, '..', '..')
const bin = (name: string) => join(ROOT, 'node_modules/.bin', name)

let s: TestServer
let dir: string
beforeAll(async () => {
  s = await startTestServer()
  dir = mkdtempSync(join(tmpdir(), 'chatapi-types-'))
  writeFileSync(join(dir, 'openapi.json'), JSON.stringify((await s.call('GET', '/swagger/json')).body))
  copyFileSync(join(import.meta.dir, 'client', 'client.ts'), join(dir, 'client.ts'))
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM'], types: [], skipLibCheck: true },
      include: ['*.ts'],
    }),
  )
})
afterAll(async () => {
  await s?.stop()
  rmSync(dir, { recursive: true, force: true })
})

// Network-isolated where the machine allows it: neither tool needs to fetch anything.
const isolated = Bun.spawnSync(['unshare', '-n', 'true']).exitCode === 0
const run = (cmd: string[]) => {
  const p = Bun.spawnSync(isolated ? ['unshare', '-n', ...cmd] : cmd, { cwd: dir, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } })
  return { code: p.exitCode, out: p.stdout.toString() + p.stderr.toString() }
}
const tsc = () => run([bin('tsc'), '-p', dir, '--pretty', 'false'])

test('openapi-typescript generates types from the served document; tsc accepts the client written against them', () => {
  const gen = run([bin('openapi-typescript'), join(dir, 'openapi.json'), '-o', join(dir, 'chatapi.d.ts')])
  expect({ code: gen.code, out: gen.code ? gen.out : '' }).toEqual({ code: 0, out: '' })
  const types = Bun.file(join(dir, 'chatapi.d.ts'))
  expect(types.size).toBeGreaterThan(10_000)
  const checked = tsc()
  expect(checked.out.trim()).toBe('')
  expect(checked.code).toBe(0)
}, 60_000)

test('a client that breaks the document does not compile (the types are not any)', () => {
  writeFileSync(
    join(dir, 'wrong.ts'),
    `import { ChatClient } from './client'
import type { paths } from './chatapi'
const c = new ChatClient('http://127.0.0.1:1', 'sk', 'alice')
void c.createRoom({ type: 'group', members: 'bob' })                 // members is a list
void c.createRoom({ type: 'club', members: [] })                     // no such room type
void c.sendMessage('room_x', { text: 'hi' })                          // the field is content
void c.addMembers('room_x', { user_ids: ['dave'], role: 'owner' })    // role is member or admin
const q: NonNullable<paths['/v1/rooms']['get']['parameters']['query']> = { limit: '50' } // limit is a number
void q
`,
  )
  try {
    const checked = tsc()
    expect(checked.code).not.toBe(0)
    const lines = new Set([...checked.out.matchAll(/wrong\.ts\((\d+),/g)].map((m) => Number(m[1])))
    expect([...lines].sort((a, b) => a - b)).toEqual([4, 5, 6, 7, 8])
  } finally {
    rmSync(join(dir, 'wrong.ts'))
  }
}, 60_000)

test('the typed client runs against the server: room created, message sent, member added and removed', async () => {
  const t = await s.newTenant()
  // Imported from the checked copy; typed loosely here so the project's own check never needs the generated file.
  const { walkThrough } = (await import(join(dir, 'client.ts'))) as { walkThrough(base: string, apiKey: string): Promise<{ room: { room_id: string } }> }
  const r = await walkThrough(s.url, t.api_key)
  expect(r).toMatchObject({ room: { type: 'group', name: 'Typed', member_count: 2 }, seq: 1, carolRole: 'admin', removedStatus: 204 })
  const members = await t.as('alice')('GET', `/v1/rooms/${r.room.room_id}/members`)
  expect(members.body.members.map((m: { user_id: string }) => m.user_id).sort()).toEqual(['alice', 'carol'])
})
