// call(): one real HTTP request with a JSON body; returns status, headers and the parsed body. Every
// answer is also checked against the OpenAPI document the server serves (support/openapi-check.ts).

import { enforce } from './openapi-check'
import { inCluster } from './storage'

export interface CallOptions {
  headers?: Record<string, string>
  /** Serialized as JSON with content-type application/json unless `raw` is given. */
  body?: unknown
  /** Sent as-is (no content-type added unless in headers). */
  raw?: string | Uint8Array
}

export interface CallResult {
  status: number
  headers: Headers
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any
}

export async function call(base: string, method: string, path: string, opts: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { ...opts.headers }
  let body: string | Uint8Array | undefined
  if (opts.raw !== undefined) body = opts.raw
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body)
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json'
  }
  // Cluster mode: a fresh connection per call, so the round-robin proxy spreads calls over the instances.
  const res = await fetch(base + path, { method, headers, body, ...(inCluster && { keepalive: false }) })
  const text = await res.text()
  await enforce(base, { method, path, status: res.status, headers: res.headers, text })
  let parsed: unknown = text
  try {
    parsed = text ? JSON.parse(text) : null
  } catch {}
  return { status: res.status, headers: res.headers, body: parsed }
}
