// The comparison behind the replay after a Redis outage (services/tenant-versions.ts): which
// notices a stored row implies, from what this instance read before.

import { expect, test } from 'bun:test'
import { createTenantVersions, missedChanges } from '../../src/services/tenant-versions'
import type { TenantRow } from '../../src/db/types'

const row = (over: Partial<TenantRow> = {}): TenantRow => ({
  tenant_id: 't1',
  name: 'one',
  api_key_hash: 'k1',
  webhook_secret: 'w1',
  user_token_secret: 's1',
  config: '{}',
  created_at: '2026-12-03T00:00:00.000Z',
  ...over,
})

const seenOf = (r: TenantRow) => {
  const v = createTenantVersions()
  v.saw(r)
  return v.entries()[0][1]
}

test('no change, each part, several parts, and a deletion', () => {
  const old = seenOf(row())
  expect(missedChanges(old, row())).toEqual([])
  expect(missedChanges(old, row({ name: 'renamed' }))).toEqual([]) // the name is not a secret or config
  expect(missedChanges(old, row({ api_key_hash: 'k2' }))).toEqual(['rotate'])
  expect(missedChanges(old, row({ user_token_secret: 's2' }))).toEqual(['token_secret'])
  expect(missedChanges(old, row({ webhook_secret: 'w2' }))).toEqual(['secret'])
  expect(missedChanges(old, row({ config: '{"max_message_bytes":10}' }))).toEqual(['config'])
  expect(missedChanges(old, row({ api_key_hash: 'k2', config: '{"a":1}' }))).toEqual(['rotate', 'config'])
  expect(missedChanges(old, null)).toEqual(['deleted'])
})

test('the record is bounded: past max tenants it starts afresh, a known tenant is updated in place', () => {
  const v = createTenantVersions(2)
  v.saw(row({ tenant_id: 'a' }))
  v.saw(row({ tenant_id: 'b' }))
  v.saw(row({ tenant_id: 'b', api_key_hash: 'k9' }))
  expect(v.entries().map(([id, s]) => [id, s.apiKeyHash])).toEqual([['a', 'k1'], ['b', 'k9']])
  v.saw(row({ tenant_id: 'c' }))
  expect(v.entries().map(([id]) => id)).toEqual(['c'])
  v.forget('c')
  expect(v.entries()).toEqual([])
})
