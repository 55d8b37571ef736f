// Outbound URL safety (SPEC §4): webhook and endpoint URLs must reach only public unicast addresses
// (no SSRF into loopback, private, link-local or special-purpose ranges), unless ALLOW_HTTP_WEBHOOKS
// is set for local testing. Addresses are classified by ipaddr.js's table of special ranges.

import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import ipaddr from 'ipaddr.js'
import { invalid } from '../errors'

/**
 * Within the one range ipaddr.js calls 'unicast', IPv6 must also lie in the global unicast space
 * 2000::/3: its table has no entry for the deprecated IPv4-compatible ::/96 (`::127.0.0.1` would
 * pass as 'unicast') nor for unallocated space.
 */
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3')
/** NAT64's well-known prefix: what DNS64 answers on IPv6-only networks; the embedded IPv4 decides. */
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96')

/**
 * True only for a public unicast address. Forms that embed an IPv4 address are refused outright
 * (IPv4-mapped, IPv4-translated, 6to4, Teredo, NAT64 local-use), except the NAT64 well-known
 * prefix, whose embedded IPv4 address is decoded and checked.
 */
export function isPublicAddress(ip: string): boolean {
  const v = isIP(ip)
  if (v === 4) return ipaddr.IPv4.parse(ip).range() === 'unicast'
  if (v !== 6 || ip.includes('%')) return false // zone ids belong to link-local addresses
  const a = ipaddr.IPv6.parse(ip)
  if (a.match(NAT64_WELL_KNOWN)) return ipaddr.fromByteArray(a.toByteArray().slice(12)).range() === 'unicast'
  return a.range() === 'unicast' && a.match(GLOBAL_UNICAST_V6)
}

/** Parses and checks the scheme and credentials; throws VALIDATION_ERROR on `field`. */
export function parseOutboundUrl(field: string, raw: unknown, allowHttp: boolean): URL {
  let url: URL | null = null
  try {
    url = typeof raw === 'string' && raw.length <= 2048 ? new URL(raw) : null
  } catch {}
  if (!url || !(url.protocol === 'https:' || (allowHttp && url.protocol === 'http:')) || url.username || url.password)
    throw invalid(field, `${field} must be an ${allowHttp ? 'http(s)' : 'https'} URL without credentials`)
  const host = bareHost(url).replace(/\.$/, '') // `localhost.` is localhost
  if (!allowHttp && (host === 'localhost' || host.endsWith('.localhost') || (isIP(host) && !isPublicAddress(host))))
    throw invalid(field, `${field} must not point at a loopback, private or special-purpose address`)
  return url
}

/** The URL's host without the brackets of an IPv6 literal (WHATWG URLs have already normalised it). */
export const bareHost = (url: URL) => url.hostname.replace(/^\[|\]$/g, '')

/** Resolves a host name to every address it has (the delivery code's DNS, injectable for tests). */
export type Resolver = (host: string) => Promise<{ address: string }[]>
export const systemResolver: Resolver = (host) => lookup(host, { all: true })

export type OutboundRefusal = 'BLOCKED_ADDRESS' | 'DNS_FAILURE'

/** An outbound call refused before connecting; `code` is what the attempt records. */
export class OutboundRefused extends Error {
  constructor(readonly code: OutboundRefusal) {
    super(code)
    this.name = 'OutboundRefused'
  }
}

/**
 * Resolves the URL's host ONCE and checks every address it got; returns them (a literal address
 * is its own answer). Throws OutboundRefused when any address is not public (unless
 * `allowPrivate`), when there is none, or when the lookup fails. The caller must connect to one
 * of the returned addresses: resolving again would let a second DNS answer bypass the check.
 */
export async function resolveChecked(url: URL, allowPrivate: boolean, resolve: Resolver = systemResolver): Promise<string[]> {
  const host = bareHost(url)
  let addresses: string[]
  if (isIP(host)) addresses = [host]
  else {
    try {
      addresses = (await resolve(host)).map((a) => a.address)
    } catch {
      throw new OutboundRefused('DNS_FAILURE')
    }
  }
  if (addresses.length === 0 || (!allowPrivate && !addresses.every(isPublicAddress))) throw new OutboundRefused('BLOCKED_ADDRESS')
  return addresses
}

/** resolveChecked as an error string or null (for the checks made when a URL is configured). */
export async function outboundBlockReason(url: string, allowPrivate: boolean, resolve: Resolver = systemResolver): Promise<OutboundRefusal | null> {
  if (allowPrivate) return null
  try {
    await resolveChecked(new URL(url), false, resolve)
    return null
  } catch (e) {
    if (e instanceof OutboundRefused) return e.code
    throw e
  }
}
