// Outbound URL safety (SPEC §4): webhook and endpoint URLs must not reach loopback, private or
// link-local addresses (SSRF), unless ALLOW_HTTP_WEBHOOKS is set for local testing.

import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { invalid } from '../errors'

/** True for addresses a server-side request must never reach from a tenant-supplied URL. */
export function isPrivateAddress(ip: string): boolean {
  const v = isIP(ip)
  if (v === 4) return isPrivateV4(ip.split('.').map(Number))
  if (v === 6) {
    const w = ipv6Words(ip)
    if (!w) return true
    const zero = (from: number, to: number) => w.slice(from, to).every((x) => x === 0)
    const v4 = (hi: number, lo: number) => [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]
    if (zero(0, 6)) return true // ::, ::1 and the deprecated IPv4-compatible ::/96
    if (zero(0, 5) && w[5] === 0xffff) return isPrivateV4(v4(w[6], w[7])) // IPv4-mapped, in either notation
    if (w[0] === 0x64 && w[1] === 0xff9b) return !zero(2, 6) || isPrivateV4(v4(w[6], w[7])) // NAT64 (local-use /48 too)
    if (w[0] === 0x2002) return isPrivateV4(v4(w[1], w[2])) // 6to4 embeds an IPv4 address
    return (
      (w[0] & 0xfe00) === 0xfc00 || // unique local fc00::/7
      (w[0] & 0xffc0) === 0xfe80 || // link-local fe80::/10
      (w[0] & 0xffc0) === 0xfec0 || // site-local (deprecated) fec0::/10
      (w[0] & 0xff00) === 0xff00 || // multicast
      (w[0] === 0x100 && zero(1, 4)) || // discard-only 100::/64
      (w[0] === 0x2001 && w[1] === 0xdb8) // documentation
    )
  }
  return true // not an IP at all: refuse
}

function isPrivateV4([a, b, c]: number[]): boolean {
  return (
    a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || (a === 192 && b === 0 && c === 0) ||
    (a === 198 && (b === 18 || b === 19)) || a >= 224
  )
}

/**
 * The eight 16-bit words of an IPv6 address already validated by isIP. WHATWG URLs print
 * IPv4-mapped hosts in hex (`[::ffff:7f00:1]`), so the dotted form cannot be the only one checked.
 */
function ipv6Words(ip: string): number[] | null {
  let s = ip.toLowerCase().replace(/%.*$/, '')
  s = s.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) => `${((+a << 8) | +b).toString(16)}:${((+c << 8) | +d).toString(16)}`)
  const halves = s.split('::')
  if (halves.length > 2) return null
  const head = halves[0] ? halves[0].split(':') : []
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : []
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0
  if (fill < 0 || head.length + fill + tail.length !== 8) return null
  const words = [...head, ...Array<string>(fill).fill('0'), ...tail].map((h) => parseInt(h, 16))
  return words.some((x) => !(x >= 0 && x <= 0xffff)) ? null : words
}

/** Parses and checks the scheme and credentials; throws VALIDATION_ERROR on `field`. */
export function parseOutboundUrl(field: string, raw: unknown, allowHttp: boolean): URL {
  let url: URL | null = null
  try {
    url = typeof raw === 'string' && raw.length <= 2048 ? new URL(raw) : null
  } catch {}
  if (!url || !(url.protocol === 'https:' || (allowHttp && url.protocol === 'http:')) || url.username || url.password)
    throw invalid(field, `${field} must be an ${allowHttp ? 'http(s)' : 'https'} URL without credentials`)
  const host = url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '') // `localhost.` is localhost
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
