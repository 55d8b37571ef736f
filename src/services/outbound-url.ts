// Outbound URL safety (SPEC §4): webhook and endpoint URLs must not reach loopback, private or
// link-local addresses (SSRF), unless ALLOW_HTTP_WEBHOOKS is set for local testing.

import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { invalid } from '../errors'

/** True for addresses a server-side request must never reach from a tenant-supplied URL. */
export function isPrivateAddress(ip: string): boolean {
  const v = isIP(ip)
  if (v === 4) {
    const [a, b] = ip.split('.').map(Number)
    return (
      a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || a >= 224
    )
  }
  if (v === 6) {
    const s = ip.toLowerCase()
    if (s === '::' || s === '::1') return true
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(s)
    if (mapped) return isPrivateAddress(mapped[1])
    return /^(fc|fd|fe8|fe9|fea|feb|ff)/.test(s)
  }
  return true // not an IP at all: refuse
}

/** Parses and checks the scheme and credentials; throws VALIDATION_ERROR on `field`. */
export function parseOutboundUrl(field: string, raw: unknown, allowHttp: boolean): URL {
  let url: URL | null = null
  try {
    url = typeof raw === 'string' && raw.length <= 2048 ? new URL(raw) : null
  } catch {}
  if (!url || !(url.protocol === 'https:' || (allowHttp && url.protocol === 'http:')) || url.username || url.password)
    throw invalid(field, `${field} must be an ${allowHttp ? 'http(s)' : 'https'} URL without credentials`)
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (!allowHttp && (host === 'localhost' || host.endsWith('.localhost') || (isIP(host) && isPrivateAddress(host))))
    throw invalid(field, `${field} must not point at a loopback, private or link-local address`)
  return url
}

/**
 * Resolves the host and refuses private addresses (checked again before every delivery attempt, so
 * a DNS change cannot turn an accepted URL into an internal one). Returns an error string or null.
 */
export async function outboundBlockReason(url: string, allowPrivate: boolean): Promise<string | null> {
  if (allowPrivate) return null
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '')
  try {
    const addrs = isIP(host) ? [{ address: host }] : await lookup(host, { all: true })
    if (addrs.length === 0 || addrs.some((a) => isPrivateAddress(a.address))) return 'BLOCKED_ADDRESS'
    return null
  } catch {
    return 'DNS_FAILURE'
  }
}
