// Outbound URL policy (SPEC §4, issue 13 item 6): only public unicast addresses, whatever way the
// address is written. Every form the outside probe tried (its L4 gaps and the forms that already
// held) is refused through the real API, as a subscription endpoint and as webhook_url, and every
// address is refused again when a DNS answer carries it (the check made before each attempt).

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startTestServer, type TestServer } from '../support/server'
import { expectError } from '../api/helpers'
import { isPublicAddress, outboundBlockReason } from '../../src/services/outbound-url'

/** Addresses that must never be reached, with what each one is. */
const PRIVATE_ADDRESSES: [string, string][] = [
  // The probe's L4 gaps.
  ['192.0.2.1', 'TEST-NET-1 (documentation)'],
  ['198.51.100.1', 'TEST-NET-2 (documentation)'],
  ['203.0.113.1', 'TEST-NET-3 (documentation)'],
  ['::ffff:0:7f00:1', 'IPv4-translated ::ffff:0:0:0/96 (RFC 6145) embedding 127.0.0.1'],
  ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'Teredo 2001::/32'],
  // What already held.
  ['127.0.0.1', 'loopback'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', '"this network" 0/8'],
  ['::', 'IPv6 unspecified'],
  ['::1', 'IPv6 loopback'],
  ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
  ['::ffff:7f00:1', 'IPv4-mapped loopback, hex'],
  ['::127.0.0.1', 'IPv4-compatible ::/96 (deprecated)'],
  ['64:ff9b::7f00:1', 'NAT64 well-known prefix embedding loopback'],
  ['2002:7f00:1::', '6to4 embedding loopback'],
  ['fe80::1', 'IPv6 link-local'],
  ['fc00::1', 'IPv6 unique local'],
  ['fd12:3456::1', 'IPv6 unique local'],
  ['169.254.169.254', 'link-local (cloud metadata)'],
  ['10.1.2.3', 'RFC 1918'],
  ['172.16.3.4', 'RFC 1918'],
  ['192.168.0.1', 'RFC 1918'],
  ['100.64.0.1', 'carrier-grade NAT'],
  ['240.0.0.1', 'reserved 240/4'],
  ['255.255.255.255', 'broadcast'],
  // Further special ranges.
  ['2001:db8::1', 'IPv6 documentation'],
  ['3fff::1', 'IPv6 documentation (RFC 9637)'],
  ['192.0.0.1', 'IETF protocol assignments'],
  ['198.18.0.1', 'benchmarking'],
  ['224.0.0.1', 'multicast'],
  ['ff02::1', 'IPv6 multicast'],
  ['100::1', 'IPv6 discard-only'],
  ['fec0::1', 'IPv6 site-local (deprecated)'],
  ['2001:2::1', 'IPv6 benchmarking'],
  ['64:ff9b:1::a00:1', 'NAT64 local-use prefix (RFC 8215)'],
  ['5f00::1', 'SRv6 SIDs'],
  ['4000::1', 'outside global unicast 2000::/3'],
  ['::ffff:8.8.8.8', 'IPv4-mapped (refused whatever it embeds)'],
  ['::ffff:0:808:808', 'IPv4-translated (refused whatever it embeds)'],
  ['2002:808:808::1', '6to4 (refused whatever it embeds)'],
]

const PUBLIC_ADDRESSES = ['93.184.215.14', '8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2a00:1450:4001:82b::200e', '64:ff9b::808:808']

/** URL forms: the probe's encodings of 127.0.0.1, names, schemes and credentials. */
const REFUSED_URLS = [
  'https://2130706433/hook',
  'https://017700000001/hook',
  'https://0x7f000001/hook',
  'https://0x7f.1/hook',
  'https://127.1/hook',
  'https://0/hook',
  'https://１２７.０.０.１/hook',
  'https://①②⑦.⓪.⓪.①/hook',
  'https://%31%32%37.0.0.1/hook',
  'https://[0:0:0:0:0:ffff:7f00:1]/hook',
  'https://localhost/hook',
  'https://LOCALHOST./hook',
  'https://foo.localhost/hook',
  'http://example.com/hook',
  'https://user:pw@example.com/hook',
  'ftp://example.com/hook',
  ...PRIVATE_ADDRESSES.map(([a]) => `https://${a.includes(':') ? `[${a}]` : a}/hook`),
]

const literalUrl = (a: string) => `https://${a.includes(':') ? `[${a}]` : a}/hook`

describe('address classification', () => {
  for (const [address, what] of PRIVATE_ADDRESSES)
    test(`${address} (${what}) is not public`, () => expect(isPublicAddress(address)).toBe(false))
  for (const address of PUBLIC_ADDRESSES) test(`${address} is public`, () => expect(isPublicAddress(address)).toBe(true))
  test('anything that is not an address is not public', () => {
    for (const x of ['', 'example.com', '127.0.0.1.', '1.2.3', '[::1]', '::1%lo']) expect(isPublicAddress(x)).toBe(false)
  })
})

describe('the check made when a name is resolved', () => {
  const resolvingTo = (...addresses: string[]) => async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
  for (const [address, what] of PRIVATE_ADDRESSES)
    test(`a name resolving to ${address} (${what}) is blocked`, async () => {
      expect(await outboundBlockReason('https://hook.example/x', false, resolvingTo(address))).toBe('BLOCKED_ADDRESS')
    })
  test('one private address among public ones blocks the name', async () => {
    expect(await outboundBlockReason('https://hook.example/x', false, resolvingTo('93.184.215.14', '2606:4700::1', '10.0.0.1'))).toBe('BLOCKED_ADDRESS')
  })
  test('public answers pass; no answer or a failed lookup does not', async () => {
    expect(await outboundBlockReason('https://hook.example/x', false, resolvingTo(...PUBLIC_ADDRESSES))).toBeNull()
    expect(await outboundBlockReason('https://hook.example/x', false, resolvingTo())).toBe('BLOCKED_ADDRESS')
    const failing = async () => {
      throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' })
    }
    expect(await outboundBlockReason('https://hook.example/x', false, failing)).toBe('DNS_FAILURE')
  })
  test('with ALLOW_HTTP_WEBHOOKS nothing is blocked', async () => {
    expect(await outboundBlockReason('http://hook.example/x', true, resolvingTo('127.0.0.1'))).toBeNull()
  })
})

describe('the API on a server without ALLOW_HTTP_WEBHOOKS', () => {
  let s: TestServer
  beforeAll(async () => (s = await startTestServer()))
  afterAll(() => s.stop())

  test('every refused form gives 400 as a subscription endpoint and as webhook_url, and nothing is stored', async () => {
    const t = await s.newTenant()
    const accepted: string[] = []
    for (const url of REFUSED_URLS) {
      const sub = await t.as('alice')('POST', '/v1/subscriptions', { body: { topic: 'x', endpoint: url } })
      if (sub.status !== 400) accepted.push(`subscription ${url} → ${sub.status}`)
      else expectError(sub, 400, 'VALIDATION_ERROR', 'endpoint')
      const patch = await s.admin('PATCH', `/v1/admin/tenants/${t.tenant_id}`, { body: { config: { webhook_url: url } } })
      if (patch.status !== 400) accepted.push(`webhook_url ${url} → ${patch.status}`)
      else expectError(patch, 400, 'VALIDATION_ERROR', 'config.webhook_url')
    }
    expect(accepted).toEqual([])
    expect((await t.as('alice')('GET', '/v1/subscriptions')).body).toEqual({ subscriptions: [] })
    expect((await s.admin('GET', `/v1/admin/tenants/${t.tenant_id}`)).body.config.webhook_url).toBeUndefined()
  })

  test('a tenant with a refused webhook_url cannot be created either', async () => {
    for (const url of ['https://192.0.2.1/hook', 'https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook'])
      expectError(await s.admin('POST', '/v1/admin/tenants', { body: { name: 'x', config: { webhook_url: url } } }), 400, 'VALIDATION_ERROR', 'config.webhook_url')
  })

  test('public literal addresses are accepted in both places', async () => {
    const t = await s.newTenant()
    for (const a of PUBLIC_ADDRESSES) {
      expect((await t.as('alice')('POST', '/v1/subscriptions', { body: { topic: `t-${a}`, endpoint: literalUrl(a) } })).status).toBe(201)
      const r = await s.admin('PATCH', `/v1/admin/tenants/${t.tenant_id}`, { body: { config: { webhook_url: literalUrl(a), webhook_events: [] } } })
      expect(r.status).toBe(200)
      expect(r.body.config.webhook_url).toBe(literalUrl(a))
    }
  })
})
