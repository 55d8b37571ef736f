// The in-process caches of memberships and tenants against an asynchronous store (issue 13 item 2,
// probe H2 and I2): a lookup that read the old row before a removal or rotation committed, and
// answers after the cache was invalidated, must not put the old answer back into the cache.
//
// The services run over a real SQLite store whose chosen calls read at once but answer only when the
// test releases them, so each interleaving happens exactly, every run (PostgreSQL gives the same
// interleavings by chance: test/security/membership-race.test.ts).

import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { systemClock } from '../../src/clock'
import { loadConfig } from '../../src/config'
import { openStore, type OpenedStore } from '../../src/db/open-store'
import type { Store } from '../../src/db/types'
import { createLogger } from '../../src/log'
import { createLocalBroker } from '../../src/broker/local'
import { createCore } from '../../src/core'
import { createAppMetrics } from '../../src/metrics'
import type { Services } from '../../src/services'
import type { Actor } from '../../src/services/actor'

/**
 * From now on, the first call of `obj[name]` whose arguments match reads the store at once (the
 * snapshot a query sent now would see) but answers only after `release()`. `called` resolves when
 * that call was made; `calls` counts every call of the method.
 */
function holdNext<T extends object>(obj: T, name: keyof T & string, match: (...args: any[]) => boolean = () => true) {
  const real = obj[name] as (...args: unknown[]) => unknown
  let entered!: () => void
  let release!: () => void
  const called = new Promise<void>((r) => (entered = r))
  const released = new Promise<void>((r) => (release = r))
  const held = { called, release, calls: 0 }
  let armed = true
  ;(obj as Record<string, unknown>)[name] = (...args: unknown[]) => {
    held.calls++
    const answer = real.apply(obj, args)
    if (!armed || !match(...args)) return answer
    armed = false
    entered()
    return released.then(() => answer)
  }
  return held
}

let opened: OpenedStore
let store: Store
let services: Services

beforeEach(async () => {
  const config = loadConfig({ DATABASE_URL: ':memory:', MASTER_API_KEY: 'unused-in-this-test' })
  opened = await openStore(config)
  store = opened.store
  const broker = createLocalBroker(systemClock, 300)
  const log = createLogger('error')
  const metrics = createAppMetrics()
  const core = createCore({ store, clock: systemClock, config, log, metrics, broker, connectedAnywhere: () => false, announcer: { claimOnline: () => true, claimOffline: () => true, announced: () => null }, shared: false, wakeDelivery: () => {} })
  services = core.services
})
afterEach(() => opened.close(false))

async function newTenant() {
  const created = await services.tenant.create('t')
  return { created, auth: await services.tenant.authenticate(created.api_key) }
}
const as = (tenant: Actor['tenant'], userId: string): Actor => ({ tenant, userId, via: 'key' })

describe('membership cache', () => {
  async function roomWithMallory() {
    const { auth } = await newTenant()
    const alice = as(auth, 'alice')
    const mallory = as(auth, 'mallory')
    const { room } = await services.chatroom.create(alice, { type: 'group', members: ['mallory'] })
    return { alice, mallory, roomId: room.room_id }
  }
  const refused = { code: 'NOT_FOUND' }

  test('a miss that read the membership before the removal and answers after it does not re-cache her', async () => {
    const { alice, mallory, roomId } = await roomWithMallory()
    const read = holdNext(store.members, 'get', (_room: string, user: string) => user === 'mallory')
    const inFlight = services.message.history(mallory, roomId, {})
    await read.called // mallory's membership row is read: she is still a member in that snapshot
    await services.chatroom.removeMember(alice, roomId, 'mallory')
    read.release()
    await inFlight // started before the removal answered: it may be served
    await expect(services.message.history(mallory, roomId, {})).rejects.toMatchObject(refused)
    await expect(services.message.send(mallory, roomId, { content: 'after removal' })).rejects.toMatchObject(refused)
  })

  test('a miss that answers between the DELETE committing and the removal answering does not survive it', async () => {
    const { alice, mallory, roomId } = await roomWithMallory()
    const read = holdNext(store.members, 'get', (_room: string, user: string) => user === 'mallory')
    const inFlight = services.message.history(mallory, roomId, {})
    await read.called
    const del = holdNext(store.members, 'remove')
    const removal = services.chatroom.removeMember(alice, roomId, 'mallory')
    await del.called // the DELETE is done; its answer is held
    read.release()
    await inFlight
    del.release()
    await removal
    await expect(services.message.history(mallory, roomId, {})).rejects.toMatchObject(refused)
    await expect(services.message.send(mallory, roomId, { content: 'after removal' })).rejects.toMatchObject(refused)
  })

  test('removing someone else leaves a member in flight cached (the guard is per room and user)', async () => {
    const { alice, roomId } = await roomWithMallory()
    await services.chatroom.addMembers(alice, roomId, { user_ids: ['bob'] })
    const bob = as(alice.tenant, 'bob')
    const read = holdNext(store.members, 'get', (_room: string, user: string) => user === 'bob')
    const inFlight = services.message.history(bob, roomId, {})
    await read.called
    await services.chatroom.removeMember(alice, roomId, 'mallory')
    read.release()
    await inFlight
    const before = read.calls
    await services.message.history(bob, roomId, {})
    await services.message.send(bob, roomId, { content: 'still here' })
    expect(read.calls).toBe(before) // answered from the cache: no membership read
  })
})

describe('tenant caches', () => {
  test('an API key lookup in flight during the key rotation does not re-cache the old key', async () => {
    const { created } = await newTenant()
    const tenantId = created.tenant_id
    // A second tenant's key, not used yet: its first authenticate is a miss.
    const other = await services.tenant.create('other')
    const lookup = holdNext(store.tenants, 'byKeyHash')
    const inFlight = services.tenant.authenticate(other.api_key)
    await lookup.called
    const { api_key: rotated } = await services.tenant.rotate(other.tenant_id, 'api_key')
    lookup.release()
    await inFlight // started before the rotation answered
    await expect(services.tenant.authenticate(other.api_key)).rejects.toMatchObject({ code: 'AUTHENTICATION_ERROR' })
    expect((await services.tenant.authenticate(rotated)).tenant_id).toBe(other.tenant_id)
    expect((await services.tenant.authenticate(created.api_key)).tenant_id).toBe(tenantId)
  })

  test('a new key is cached: a second authenticate reads nothing', async () => {
    const other = await services.tenant.create('other')
    const lookup = holdNext(store.tenants, 'byKeyHash', () => false)
    await services.tenant.authenticate(other.api_key)
    await services.tenant.authenticate(other.api_key)
    expect(lookup.calls).toBe(1)
  })

  test('a tenant lookup in flight during a user_token_secret rotation does not re-cache the old secret', async () => {
    const { auth } = await newTenant()
    const { tokens } = services
    const { token } = await tokens.mint(as(auth, 'alice'), { user_id: 'alice' })
    const lookup = holdNext(store.tenants, 'get', (id: string) => id === auth.tenant_id)
    const inFlight = tokens.verify(token)
    await lookup.called // the tenant row with the old secret is read
    await services.tenant.rotate(auth.tenant_id, 'user_token_secret')
    lookup.release()
    await inFlight.catch(() => {}) // started before the rotation answered: either answer is fine
    await expect(tokens.verify(token)).rejects.toMatchObject({ code: 'AUTHENTICATION_ERROR' })
  })
})
