// The SDK's moderation calls (SPEC §14) against the real server: a user reports and blocks, an
// owner bans, mutes and makes a room read-only, the parent app bans users and works the report
// queue; CONTENT_REJECTED and the 403s arrive as typed ChatApiErrors.

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { ChatApiError, ChatClient, RestClient } from '../../sdk/src'
import { startTestServer, type TestServer, type TestTenant } from '../support/server'

let s: TestServer
let t: TestTenant
const client = (userId: string) => new RestClient({ baseUrl: s.url, apiKey: t.api_key, userId })

beforeAll(async () => {
  s = await startTestServer()
  t = await s.newTenant({ blocklist: { terms: ['darn'], action: 'reject' } })
})
afterAll(() => s.stop())

const refusal = (p: Promise<unknown>) => p.then(() => null, (e) => (e instanceof ChatApiError ? { code: e.code, status: e.status } : e))

test('room moderation: ban, mute, read-only, each with its list and lift', async () => {
  const alice = client('alice')
  const bob = client('bob')
  const room = await alice.createRoom({ type: 'channel', members: ['bob', 'carol'] })
  const ban = await alice.banFromRoom(room.room_id, { user_id: 'carol', duration_s: 600 })
  expect(ban).toMatchObject({ room_id: room.room_id, user_id: 'carol', created_by: 'alice' })
  expect((await alice.listRoomBans(room.room_id)).bans.map((b) => b.user_id)).toEqual(['carol'])
  expect(await refusal(client('carol').joinRoom(room.room_id))).toEqual({ code: 'FORBIDDEN', status: 403 })
  await alice.unbanFromRoom(room.room_id, 'carol')
  await alice.muteInRoom(room.room_id, { user_id: 'bob' })
  expect((await alice.listRoomMutes(room.room_id)).mutes.map((m) => m.user_id)).toEqual(['bob'])
  expect(await refusal(bob.sendMessage(room.room_id, { content: 'hi' }))).toEqual({ code: 'FORBIDDEN', status: 403 })
  await alice.unmuteInRoom(room.room_id, 'bob')
  expect((await alice.setReadOnly(room.room_id, true)).read_only).toBe(true)
  expect(await refusal(bob.sendMessage(room.room_id, { content: 'hi' }))).toEqual({ code: 'FORBIDDEN', status: 403 })
  expect(await refusal(alice.sendMessage(room.room_id, { content: 'darn' }))).toEqual({ code: 'CONTENT_REJECTED', status: 422 })
})

test('blocks and reports, then the parent app resolves the report and bans the user from the tenant', async () => {
  const alice = client('alice')
  const app = client('backend')
  const room = await alice.createRoom({ type: 'group', members: ['mallory'] })
  const spam = await client('mallory').sendMessage(room.room_id, { content: 'ads' })
  expect(await alice.blockUser('mallory')).toMatchObject({ user_id: 'mallory' })
  expect((await alice.listBlocks()).blocks.map((b) => b.user_id)).toEqual(['mallory'])
  await alice.unblockUser('mallory')
  const report = await alice.report({ room_id: room.room_id, message_id: spam.message_id, reason: 'spam' })
  expect(report).toMatchObject({ status: 'open', user_id: 'mallory' })
  expect((await app.listReports({ status: 'open' })).reports.map((r) => r.report_id)).toEqual([report.report_id])
  expect((await app.resolveReport(report.report_id, { action: 'delete_message' })).status).toBe('resolved')
  const ban = await app.banUser({ user_id: 'mallory', reason: 'spam' })
  expect(ban).toMatchObject({ user_id: 'mallory', created_by: 'api_key' })
  expect((await app.listUserBans()).bans.map((b) => b.user_id)).toEqual(['mallory'])
  expect(await refusal(client('mallory').listRooms())).toEqual({ code: 'FORBIDDEN', status: 403 })
  await app.unbanUser('mallory')
  expect((await client('mallory').listRooms()).rooms).toHaveLength(1)
  const actions = (await app.auditLog({ limit: 200 })).entries.map((e) => e.action)
  expect(actions).toEqual(expect.arrayContaining(['user.ban', 'user.unban', 'report.resolve', 'report.create', 'user.block', 'user.unblock']))
})

test('the realtime client of a user banned from the tenant stops with a 403 instead of reconnecting forever', async () => {
  const c = new ChatClient({ baseUrl: s.url, apiKey: t.api_key, userId: 'zoe' })
  await c.connect()
  const errors: unknown[] = []
  const closed = new Promise<void>((resolve) => c.on('state', (st) => st === 'closed' && resolve()))
  c.on('error', (e) => errors.push(e))
  await client('backend').banUser({ user_id: 'zoe' })
  await closed
  expect(errors).toContainEqual(expect.objectContaining({ code: 'FORBIDDEN', status: 403 }))
  c.close()
})
