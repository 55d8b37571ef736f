// The domain-event bus (services/events.ts) and who listens to what (src/core.ts).

import { describe, expect, test } from 'bun:test'
import { systemClock } from '../../src/clock'
import { loadConfig } from '../../src/config'
import { createLocalBroker } from '../../src/broker/local'
import { createCore } from '../../src/core'
import { openStore } from '../../src/db/open-store'
import { createLogger, type Logger } from '../../src/log'
import { createAppMetrics } from '../../src/metrics'
import { createEventBus, type DomainEvent } from '../../src/services/events'

const message = (seq: number) => ({
  message_id: `msg_${seq}`,
  room_id: 'room_1',
  seq,
  sender_id: 'alice',
  content: 'hi',
  meta: null,
  client_msg_id: null,
  created_at: '2026-01-01T00:00:00.000Z',
  edited_at: null,
  deleted_at: null,
  rev: 0,
  parent_id: null,
  reply_count: 0,
  last_reply_at: null,
  mentions: [],
  attachments: [],
  reactions: [],
  pinned_at: null,
  pinned_by: null,
})
const created = (seq: number): DomainEvent => ({ type: 'message.created', tenantId: 'tnt_1', message: message(seq) })

function recordingLog() {
  const errors: Record<string, unknown>[] = []
  const log = { ...createLogger('error'), error: (_msg: string, fields?: Record<string, unknown>) => void errors.push(fields ?? {}) } as Logger
  return { log, errors }
}

describe('event bus', () => {
  test('handlers run synchronously, in subscription order, events in emit order; other types are not called', () => {
    const bus = createEventBus(createLogger('error'))
    const seen: string[] = []
    bus.subscribe({ name: 'a', handlers: { 'message.created': (e) => void seen.push(`a${e.message.seq}`) } })
    bus.subscribe({ name: 'b', handlers: { 'message.created': (e) => void seen.push(`b${e.message.seq}`), 'member.added': () => void seen.push('member') } })
    bus.emit(created(1))
    bus.emit(created(2))
    expect(seen).toEqual(['a1', 'b1', 'a2', 'b2']) // before emit returned: no microtask was needed
    expect(bus.subscribersOf('message.created')).toEqual(['a', 'b'])
  })

  test('a handler that throws or rejects is logged with its name; the others still run and emit does not throw', async () => {
    const { log, errors } = recordingLog()
    const bus = createEventBus(log)
    const seen: string[] = []
    bus.subscribe({ name: 'broken', handlers: { 'message.created': () => { throw new Error('boom') } } })
    bus.subscribe({ name: 'async-broken', handlers: { 'message.created': async () => { throw new Error('later') } } })
    bus.subscribe({ name: 'fine', handlers: { 'message.created': () => void seen.push('fine') } })
    expect(() => bus.emit(created(1))).not.toThrow()
    expect(seen).toEqual(['fine'])
    await Bun.sleep(0)
    expect(errors.map((e) => [e.subscriber, e.type])).toEqual([
      ['broken', 'message.created'],
      ['async-broken', 'message.created'],
    ])
  })
})

test('createCore registers the subscribers in dispatch order: sockets first, then redelivery, webhooks, caches, metrics', async () => {
  const config = loadConfig({ DATABASE_URL: ':memory:', MASTER_API_KEY: 'unused-in-this-test-xxxxxxxxxxxxxxxx' })
  const opened = await openStore(config)
  try {
    const broker = createLocalBroker(systemClock, 300)
    const core = createCore({ store: opened.store, clock: systemClock, config, log: createLogger('error'), metrics: createAppMetrics(), broker, connectedAnywhere: () => false, announcer: { claimOnline: () => true, claimOffline: () => true, announced: () => null }, shared: false, wakeDelivery: () => {} })
    expect(core.events.subscribersOf('message.created')).toEqual(['realtime', 'redelivery', 'webhooks', 'metrics'])
    expect(core.events.subscribersOf('member.removed')).toEqual(['realtime', 'webhooks'])
    expect(core.events.subscribersOf('tenant.changed')).toEqual(['webhooks', 'user tokens', 'retention'])
    expect(core.events.subscribersOf('presence.changed')).toEqual(['realtime'])
    expect(core.events.subscribersOf('room.deleted')).toEqual(['realtime', 'webhooks'])
    expect(core.events.subscribersOf('user.erased')).toEqual(['webhooks', 'moderation caches'])
    expect(core.tasks.map((t) => t.name)).toEqual(['redelivery sweeper', 'upload sweeper', 'data lifecycle'])
  } finally {
    await opened.close(false)
  }
})
