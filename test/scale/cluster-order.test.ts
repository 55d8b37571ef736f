// SPEC §5 ordering on several instances: two senders on different instances into one room, and a
// member on each instance must receive the room's messages in ascending seq, none missing.
// Each instance publishes after its own commit, so Redis hands frames over in publish order, not
// seq order; the receiving instance puts them back in order (src/broker/room-order.ts).

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { pgAndRedisReachable, startCluster, type Cluster } from '../support/cluster'
import { WsClient } from '../support/ws'

const available = await pgAndRedisReachable()
if (!available) console.warn('skipped: the cluster ordering test needs PostgreSQL and Redis')

const TRIALS = 20
const PER_SENDER = 25

describe.skipIf(!available)('live order across two instances', () => {
  let c: Cluster
  const rooms: string[] = []
  let listeners: WsClient[] = []
  let senders: WsClient[] = []

  beforeAll(async () => {
    c = await startCluster(2, { env: { WS_MSG_RATE: '2000', ACK_TIMEOUT_MS: '60000', DEFAULT_RATE_LIMIT: '100000' } })
    for (let i = 0; i < TRIALS; i++) {
      const r = await c.as(0, 'alice')('POST', '/v1/rooms', { type: 'group', members: ['bob', 'carol', 'dave'] })
      rooms.push(r.body.room_id)
    }
    // alice sends through instance 0, bob through instance 1; carol listens on 0, dave on 1.
    senders = [await WsClient.connect(c.nodes[0].wsUrl, c.headers('alice')), await WsClient.connect(c.nodes[1].wsUrl, c.headers('bob'))]
    listeners = [await WsClient.connect(c.nodes[0].wsUrl, c.headers('carol')), await WsClient.connect(c.nodes[1].wsUrl, c.headers('dave'))]
    for (const w of [...senders, ...listeners]) await w.next('sync.done', 10_000, (f) => f.room_id === undefined)
  }, 60_000)

  afterAll(async () => {
    for (const w of [...senders, ...listeners]) w.close()
    await c?.stop()
  })

  test(`${TRIALS} trials of ${PER_SENDER} + ${PER_SENDER} concurrent sends through different instances: every listener gets seqs 1..${2 * PER_SENDER} in order`, async () => {
    let reordered = 0
    let incomplete = 0
    for (const [trial, room] of rooms.entries()) {
      // Rounds of one send from each sender at once: every round is a race between two commits on
      // different instances, and the later commit's publish may reach Redis first.
      for (let i = 0; i < PER_SENDER; i++) {
        const acks = senders.map((w, s) => w.request({ type: 'send_message', room_id: room, content: `t${trial} s${s} m${i}` }, 'message.sent', 10_000))
        expect((await Promise.all(acks)).every((a) => a.type === 'message.sent')).toBe(true)
      }
      for (const l of listeners) {
        const got: number[] = []
        while (got.length < 2 * PER_SENDER) got.push((await l.next('message', 5000, (f) => f.room_id === room)).seq)
        const inOrder = got.every((s, i) => i === 0 || s > got[i - 1])
        if (!inOrder) {
          reordered++
          console.log(`trial ${trial}: listener on instance ${listeners.indexOf(l)} got ${got.join(',')}`)
        }
        if (got.some((s, i) => s !== i + 1)) incomplete++
      }
    }
    console.log(`cluster order: ${TRIALS} trials x ${listeners.length} listeners, ${reordered} reordered, ${incomplete} not exactly 1..${2 * PER_SENDER}`)
    expect(reordered).toBe(0)
    expect(incomplete).toBe(0)
  }, 120_000)
})
