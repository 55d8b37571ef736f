// An instance killed while it holds webhook delivery leases (SPEC §6, §9; docs/scaling.md): the rows
// it leased stay its own until the lease (60 s) expires, then another instance's delivery worker
// takes them over, so every webhook is delivered at least once, with its original webhook-id.
// Real time: the test waits out the real lease, about a minute.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { pgAndRedisReachable, startCluster, type Cluster } from '../support/cluster'

const available = await pgAndRedisReachable()
if (!available) console.warn('skipped: the lease takeover test needs PostgreSQL and Redis')

/** A webhook receiver that holds every request while `holding` (the sender waits), else answers 200. */
class HoldingReceiver {
  holding = true
  /** webhook-id → arrival times (ms) of every request for it. */
  readonly arrivals = new Map<string, number[]>()
  /** webhook-id → when it was answered 200. */
  readonly delivered = new Map<string, number>()
  private held: (() => void)[] = []
  private readonly server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: async (req) => {
      const id = req.headers.get('webhook-id') ?? '?'
      await req.text()
      this.arrivals.set(id, [...(this.arrivals.get(id) ?? []), Date.now()])
      if (this.holding) {
        await new Promise<void>((resolve) => this.held.push(resolve))
        return new Response('released', { status: 503 })
      }
      this.delivered.set(id, Date.now())
      return new Response('ok')
    },
  })
  url = `http://127.0.0.1:${this.server.port}/hook`
  /** Stops holding: requests still held get a 503 (their sender is gone by then), new ones 200. */
  release() {
    this.holding = false
    for (const r of this.held.splice(0)) r()
  }
  stop() {
    this.release()
    this.server.stop(true)
  }
}

describe.skipIf(!available)('an instance killed while holding delivery leases', () => {
  let c: Cluster
  let rx: HoldingReceiver
  let sql: SQL

  beforeAll(async () => {
    rx = new HoldingReceiver()
    c = await startCluster(1, { env: { ALLOW_HTTP_WEBHOOKS: '1', DEFAULT_RATE_LIMIT: '100000' }, tenantConfig: { webhook_url: rx.url } })
    sql = new SQL(c.dbUrl, { max: 2 })
  }, 60_000)
  afterAll(async () => {
    await sql?.close()
    await c?.stop()
    rx?.stop()
  })

  test('another instance takes the leased rows over once the lease expires; every webhook is delivered at least once', async () => {
    // Events through instance 0 alone: its worker leases them and its calls hang at the receiver.
    const room = (await c.as(0, 'alice')('POST', '/v1/rooms', { type: 'group', members: ['bob'] })).body.room_id
    for (let i = 0; i < 20; i++) expect((await c.as(0, 'alice')('POST', `/v1/rooms/${room}/messages`, { content: `m${i}` })).status).toBe(201)
    const deadline = Date.now() + 10_000
    while (rx.arrivals.size < 3 && Date.now() < deadline) await Bun.sleep(20)
    expect(rx.arrivals.size).toBeGreaterThanOrEqual(3) // calls in flight, held by the receiver

    // A second instance starts, then the first is killed mid-call with its leases.
    await c.add({ ALLOW_HTTP_WEBHOOKS: '1', DEFAULT_RATE_LIMIT: '100000' })
    const rows = (await sql`SELECT event_id, state, lease_until FROM deliveries`) as { event_id: string; state: string; lease_until: string | null }[]
    const killedAt = Date.now()
    c.nodes[0].proc.kill('SIGKILL')
    await c.nodes[0].exited
    const leased = rows.filter((r) => r.state === 'pending' && r.lease_until !== null && Number(r.lease_until) > killedAt)
    expect(leased.length).toBeGreaterThan(0)
    const everyEvent = new Set(rows.map((r) => r.event_id))
    rx.release()

    // Instance 1 delivers everything: what was never leased at once, the rest after the lease ends.
    const until = killedAt + 90_000
    while ([...everyEvent].some((id) => !rx.delivered.has(id)) && Date.now() < until) await Bun.sleep(100)
    const undelivered = [...everyEvent].filter((id) => !rx.delivered.has(id))
    const early = leased.filter((r) => rx.delivered.get(r.event_id)! < Number(r.lease_until) - 50)
    const takeover = Math.max(...leased.map((r) => rx.delivered.get(r.event_id) ?? Number.NaN)) - killedAt
    console.log(
      `lease takeover: ${JSON.stringify({
        events: everyEvent.size,
        leased_by_killed_instance: leased.length,
        delivered: rx.delivered.size,
        attempts: [...rx.arrivals.values()].reduce((a, t) => a + t.length, 0),
        delivered_before_lease_end: early.length,
        last_takeover_ms_after_kill: takeover,
      })}`,
    )
    expect(undelivered).toEqual([])
    expect(early).toEqual([]) // the lease is honoured: no second instance calls while it runs
    // Each leased row was attempted by the killed instance (or waited behind its calls), then again by instance 1.
    for (const r of leased) expect(rx.delivered.has(r.event_id)).toBe(true)
  }, 150_000)
})
