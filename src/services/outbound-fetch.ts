// Outbound HTTP to tenant-supplied URLs (webhooks, subscription endpoints, later the pre-send hook).
// The host is resolved once, every address is checked, and the connection is made to the checked
// address while the Host header and the TLS server name (SNI and certificate check) stay the URL's.
// Letting fetch resolve the name itself would allow a second DNS answer (rebinding) to pick an
// address that was never checked.

import { isIP } from 'node:net'
import { bareHost, resolveChecked, systemResolver, type Resolver } from './outbound-url'

export interface OutboundRequest {
  method: string
  headers: Record<string, string>
  body?: string
  /** Covers the lookup as well as the request. */
  signal?: AbortSignal
}

/**
 * A POST-style call to a tenant URL. Throws OutboundRefused (BLOCKED_ADDRESS, DNS_FAILURE) before
 * connecting, the signal's reason on timeout, or fetch's error. Redirects are never followed.
 */
export type OutboundFetch = (url: string, req: OutboundRequest) => Promise<Response>

export interface OutboundFetchDeps {
  /** ALLOW_HTTP_WEBHOOKS: private addresses may be reached (the connection is still pinned). */
  allowPrivate: boolean
  /** DNS (default: the system resolver, node:dns lookup). */
  resolve?: Resolver
  /** The HTTP client (default: Bun's fetch). */
  fetch?: typeof fetch
  /** Extra trusted CA certificates in PEM (tests; production uses the system store and NODE_EXTRA_CA_CERTS). */
  ca?: string
}

export function createOutboundFetch(d: OutboundFetchDeps): OutboundFetch {
  const resolve = d.resolve ?? systemResolver
  const http = d.fetch ?? fetch
  return async (raw, req) => {
    const url = new URL(raw)
    const [address] = await untilAborted(resolveChecked(url, d.allowPrivate, resolve), req.signal)
    const target = new URL(url.href)
    target.hostname = isIP(address) === 6 ? `[${address}]` : address
    const name = bareHost(url)
    // Bun's fetch takes both the SNI and the name the certificate must match from tls.serverName,
    // never from the Host header (test/delivery/outbound-fetch.test.ts shows it). A literal
    // address keeps its own identity.
    const tls: { serverName?: string; ca?: string } = {}
    if (url.protocol === 'https:' && !isIP(name)) tls.serverName = name.replace(/\.$/, '')
    if (d.ca) tls.ca = d.ca
    return http(target.href, {
      method: req.method,
      headers: { ...req.headers, host: url.host },
      body: req.body,
      redirect: 'manual',
      signal: req.signal,
      tls,
    })
  }
}

/** A lookup cannot be cancelled, but the attempt stops waiting for it when the signal fires. */
function untilAborted<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
