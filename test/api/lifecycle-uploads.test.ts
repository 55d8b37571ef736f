// SPEC §15 with SPEC §12: a message's files go with it. Retention, a room delete, a user erasure
// and a tenant delete each doom the uploads of what they remove (once no message lists them), and the
// upload sweeper deletes the files; the user export lists the user's uploads. Local file storage.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'
import { localStorage, uploadRaw } from './uploads-kit'
import { roomWith, restSend } from '../ws/helpers'
import { until } from '../delivery/helpers'

const DAY = 86_400_000
let offset = 0
const clock = { now: () => Date.now() + offset }
const storage = localStorage()

let s: TestServer
beforeAll(async () => {
  // A short orphan TTL makes the upload sweeper run every second (services/upload-sweep.ts);
  // retention passes every 50 ms, on a clock the test moves forward.
  const dir = mkdtempSync(join(tmpdir(), 'chatapi-upl-'))
  const server = await startTestServer({ ...storage.env(dir), UPLOAD_ORPHAN_TTL_MS: '4000', ACK_TIMEOUT_MS: '600000' }, { clock, lifecycle: { retentionEveryMs: 50 } })
  const stop = server.stop
  s = Object.assign(server, { dir, stop: async () => (await stop(), rmSync(dir, { recursive: true, force: true })) })
})
afterAll(() => s.stop())

const file = (t: TestTenant, user: string, name: string) => uploadRaw(s, t, user, `contents of ${name}`, 'text/plain', name)
const stored = (t: TestTenant) => storage.objects(s, t.tenant_id)
// fetch, not call(): a file answer carries the file's own media type (the response check knows octet-stream only)
const gone = async (t: TestTenant, user: string, id: string) => (await fetch(`${s.url}/v1/uploads/${id}`, { headers: t.headers(user) })).status === 404
/** Waits until the tenant holds exactly `n` files (the sweeper removes doomed ones about every second). */
const filesLeft = (t: TestTenant, n: number) => until(`${n} files left`, async () => ((await stored(t)).length === n ? true : undefined), 10_000, 50)

describe('files go with what the lifecycle removes', () => {
  test('retention: an old message takes its file along; a file a newer message also lists stays', async () => {
    const t = await s.newTenant({ retention_days: 1 })
    const room = await roomWith(t, 'alice', ['bob'])
    const a = (await file(t, 'alice', 'a.txt')).body.upload_id
    const shared = (await file(t, 'alice', 'shared.txt')).body.upload_id
    await restSend(t, 'alice', room, 'old', { attachments: [a, shared] })
    expect(await stored(t)).toHaveLength(2)
    offset += 2 * DAY
    await restSend(t, 'alice', room, 'new', { attachments: [shared] })
    await until('retention ran', async () => ((await t.as('bob')('GET', `/v1/rooms/${room}`)).body.first_seq === 2 ? true : undefined), 10_000, 20)
    await filesLeft(t, 1)
    expect(await gone(t, 'alice', a)).toBe(true)
    expect(await gone(t, 'bob', shared)).toBe(false)
  })

  test('a room delete and a user erasure: every file of theirs goes, attached or not; others stay', async () => {
    const t = await s.newTenant()
    const room = await roomWith(t, 'alice', ['bob'])
    const other = await roomWith(t, 'bob', ['carol'])
    const inRoom = (await file(t, 'bob', 'in-room.txt')).body.upload_id
    await restSend(t, 'bob', room, 'see file', { attachments: [inRoom] })
    const bobsElsewhere = (await file(t, 'bob', 'elsewhere.txt')).body.upload_id
    await restSend(t, 'bob', other, 'kept', { attachments: [bobsElsewhere] })
    const carols = (await file(t, 'carol', 'carol.txt')).body.upload_id
    await restSend(t, 'carol', other, 'carol file', { attachments: [carols] })
    const orphan = (await file(t, 'bob', 'orphan.txt')).body.upload_id
    expect(await stored(t)).toHaveLength(4)

    expect((await t.as('alice')('DELETE', `/v1/rooms/${room}`)).status).toBe(204)
    await filesLeft(t, 3)
    expect(await gone(t, 'bob', inRoom)).toBe(true)

    // the export lists bob's live files (metadata), then the erasure takes them all
    const exp = await fetch(`${s.url}/v1/users/bob/export`, { headers: { 'x-api-key': t.api_key } })
    const uploads = (await exp.text()).trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.type === 'upload').map((l) => l.upload.upload_id)
    expect(uploads.sort()).toEqual([bobsElsewhere, orphan].sort())
    const job = (await s.call('POST', '/v1/users/bob/erase', { headers: { 'x-api-key': t.api_key } })).body.job_id
    await until('erased', async () => ((await s.call('GET', `/v1/jobs/${job}`, { headers: { 'x-api-key': t.api_key } })).body.status === 'done' ? true : undefined), 10_000, 20)
    await filesLeft(t, 1)
    expect(await gone(t, 'carol', carols)).toBe(false)
    expect((await s.admin('GET', `/v1/admin/tenants/${t.tenant_id}`)).body.usage).toMatchObject({ uploads: 1 })
  })

  test('a tenant delete: all of its files go, another tenant keeps its own', async () => {
    const t = await s.newTenant()
    const keep = await s.newTenant()
    const room = await roomWith(t, 'alice', ['bob'])
    await restSend(t, 'alice', room, 'file', { attachments: [(await file(t, 'alice', 'x.txt')).body.upload_id] })
    await file(t, 'bob', 'orphan.txt')
    await file(keep, 'alice', 'kept.txt')
    const job = (await s.admin('DELETE', `/v1/admin/tenants/${t.tenant_id}`)).body.job_id
    await until('tenant gone', async () => ((await s.admin('GET', `/v1/admin/jobs/${job}`)).body.status === 'done' ? true : undefined), 10_000, 20)
    await filesLeft(t, 0)
    expect(await stored(keep)).toHaveLength(1)
  })
})
