// Standard Webhooks signatures (SPEC §6): v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">,
// keyed with the base64-decoded part of the tenant's webhook_secret after `whsec_`.

import { createHmac } from 'node:crypto'

export function webhookKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64')
}

export function signWebhook(secret: string, id: string, timestampS: number, body: string): string {
  const mac = createHmac('sha256', webhookKey(secret)).update(`${id}.${timestampS}.${body}`).digest('base64')
  return `v1,${mac}`
}

/** The three headers of one attempt; the timestamp is fresh each attempt and signed anew. */
export function webhookHeaders(secret: string, id: string, body: string, nowMs: number): Record<string, string> {
  const ts = Math.floor(nowMs / 1000)
  return {
    'content-type': 'application/json',
    'user-agent': 'ChatAPI-Webhooks',
    'webhook-id': id,
    'webhook-timestamp': String(ts),
    'webhook-signature': signWebhook(secret, id, ts, body),
  }
}
