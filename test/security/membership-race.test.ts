// Removal takes effect while the removed member's own requests are in flight (issue 13 item 2, probe
// H2). One instance on PostgreSQL without Redis is the configuration that caches positive membership
// answers over an asynchronous store: a read that saw the row before the DELETE committed must not
// put the member back into the cache after the removal. Skips when PostgreSQL is unreachable.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { startTestServer, type TestServer } from '../support/server'

const PG = process.env.CHATAPI_TEST_DATABASE_URL?.startsWith('postgres') ? process.env.CHATAPI_TEST_DATABASE_URL : 'postgres://postgres@127.0.0.1:5432/postgres'

async function reachable(): Promise<boolean> {
  const sql = new SQL({ url: PG, max: 1, connectionTimeout: 2 })
  try {
    await sql`SELECT 1`
    return true
  } catch {
    return false
  } finally {
    await sql.close().catch(() => {})
  }
}
const pgUp = await reachable()
if (!pgUp) console.warn(`\n[test/security/membership-race] SKIPPED: PostgreSQL is not reachable at ${PG} (set CHATAPI_TEST_DATABASE_URL, or start PostgreSQL)\n`)

const TRIALS = 8
/** Concurrent readers per trial; each keeps one history read in flight until the removal answers. */
const LANES = 12
/** Bound on the reads of one lane in one trial. */
const MAX_READS_PER_LANE = 400

describe.skipIf(!pgUp)('membership removal on PostgreSQL without Redis (memberships cached in process)', () => {
  let srv: TestServer

  beforeAll(async () => {
    srv = await startTestServer({}, { postgres: PG, redis: false })
  })
  afterAll(() => srv?.stop())

  test(`a member removed while her own history reads are in flight loses access at once (${TRIALS} trials)`, async () => {
    const t = await srv.newTenant()
    const alice = t.as('alice')
    const mallory = t.as('mallory')
    const room = (await alice('POST', '/v1/rooms', { body: { type: 'group', members: ['mallory'] } })).body.room_id as string
    const history = `/v1/rooms/${room}/messages?limit=1`

    for (let trial = 1; trial <= TRIALS; trial++) {
      if (trial > 1) expect((await alice('POST', `/v1/rooms/${room}/members`, { body: { user_ids: ['mallory'] } })).status).toBe(200)
      // Odd trials start with her membership cached (reads are hits until the eviction); even trials
      // start cold, so misses that read her row are in flight while the DELETE commits.
      if (trial % 2 === 1) expect((await mallory('GET', history)).status).toBe(200)

      let removed = false
      const lateAnswers: number[] = [] // answers to reads that started after the DELETE answered
      const lane = async () => {
        for (let i = 0; i < MAX_READS_PER_LANE; i++) {
          const startedAfterRemoval = removed
          const r = await mallory('GET', history)
          if (startedAfterRemoval) {
            lateAnswers.push(r.status)
            return
          }
        }
      }
      const lanes = Array.from({ length: LANES }, lane)
      const del = await alice('DELETE', `/v1/rooms/${room}/members/mallory`)
      removed = true
      await Promise.all(lanes)

      expect(del.status).toBe(204)
      expect({ trial, notRefused: lateAnswers.filter((s) => s !== 404) }).toEqual({ trial, notRefused: [] })
      const after = await mallory('GET', history)
      const send = await mallory('POST', `/v1/rooms/${room}/messages`, { body: { content: `trial ${trial}: sent after removal` } })
      expect({ trial, history: after.status, send: send.status }).toEqual({ trial, history: 404, send: 404 })
    }
    const members = (await alice('GET', `/v1/rooms/${room}/members`)).body.members.map((m: { user_id: string }) => m.user_id)
    expect(members).toEqual(['alice'])
  }, 60_000)
})
