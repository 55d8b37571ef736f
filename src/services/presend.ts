// The pre-send hook (SPEC §14): before a message is stored, the tenant's presend_url is asked about
// it, and its answer decides: allow, reject (422) or replace content/meta. The call goes through the
// same outbound rules as webhooks (outbound-fetch.ts: the host is resolved once, only public
// addresses unless ALLOW_HTTP_WEBHOOKS, redirects not followed) and is signed like a webhook
// (signing.ts). It never runs inside the group commit: each send waits for its own call only, so a
// slow hook holds the sends that wait for it and nothing else (services/message.ts).

import type { Clock } from '../clock'
import { AppError, contentRejected } from '../errors'
import { newId } from '../ids'
import type { Logger } from '../log'
import type { OutboundFetch } from './outbound-fetch'
import { webhookHeaders } from './signing'
import { isJsonObject } from './input'
import type { AuthTenant } from './tenant'

/** Largest answer read from a hook; a bigger one counts as unreadable. */
const MAX_ANSWER_BYTES = 64 * 1024
const MAX_META_BYTES = 8 * 1024
const MAX_REASON_CHARS = 200

export interface PresendData {
  room_id: string
  sender_id: string
  content: string
  meta: Record<string, unknown> | null
  parent_id: string | null
  mentions: string[]
  attachments: string[]
}

/** What the hook leaves of the message: its content and meta, maybe replaced. */
export interface Presended {
  content: string
  meta: Record<string, unknown> | null
}

class HookFailure extends Error {}

/** Reads at most `max` bytes of the body; more is a failure (a hook cannot make the server buffer megabytes). */
async function readCapped(res: Response, max: number): Promise<string> {
  if (!res.body) return ''
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let n = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    n += value.byteLength
    if (n > max) {
      void reader.cancel()
      throw new HookFailure('answer too large')
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** The reason a hook gave, shown to the sender: one line, at most 200 characters. */
const shownReason = (r: unknown) => (typeof r === 'string' ? r.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, MAX_REASON_CHARS) : '')

/** A failing hook is logged at most once per tenant in this many ms, with how many failed meanwhile. */
const WARN_EVERY_MS = 10_000

export function createPresendHook(deps: { fetch: OutboundFetch; clock: Clock; log: Logger }) {
  const { clock, log } = deps
  const warned = new Map<string, { at: number; since: number }>()
  /** A hook that is down fails every send: one log line per tenant per WARN_EVERY_MS, not one per message. */
  function warnFailure(tenantId: string, reason: string, onFailure: string) {
    const now = clock.now()
    const w = warned.get(tenantId)
    if (w && now - w.at < WARN_EVERY_MS) return void w.since++
    if (warned.size > 10_000) warned.clear()
    warned.set(tenantId, { at: now, since: 0 })
    log.warn('pre-send hook failed', { tenant_id: tenantId, reason, on_failure: onFailure, failures_not_logged: w?.since ?? 0 })
  }

  /** The verdict in a 2xx answer; anything unreadable is a HookFailure. */
  function verdict(text: string, msg: Presended, maxBytes: number): Presended {
    let a: unknown
    try {
      a = JSON.parse(text)
    } catch {
      throw new HookFailure('answer is not JSON')
    }
    if (!isJsonObject(a)) throw new HookFailure('answer is not an object')
    if (a.action === 'allow') return msg
    if (a.action === 'reject') {
      const why = shownReason(a.reason)
      throw contentRejected(why ? `the message was rejected: ${why}` : 'the message was rejected by the pre-send hook')
    }
    if (a.action !== 'replace') throw new HookFailure('answer has no valid action')
    const out = { ...msg }
    if ('content' in a) {
      const c = a.content
      if (typeof c !== 'string' || c.length === 0 || c.includes('\0') || Buffer.byteLength(c) > maxBytes) throw new HookFailure('replacement content is invalid')
      out.content = c
    }
    if ('meta' in a) {
      const m = a.meta
      if (m !== null && (!isJsonObject(m) || Buffer.byteLength(JSON.stringify(m)) > MAX_META_BYTES || JSON.stringify(m).includes('\\u0000')))
        throw new HookFailure('replacement meta is invalid')
      out.meta = m as Record<string, unknown> | null
    }
    return out
  }

  return {
    /**
     * Asks the tenant's hook about a message. Resolves with what to store; throws CONTENT_REJECTED
     * when the hook rejects it, or when the hook fails (timeout, non-2xx, unreadable answer, address
     * refused) and the tenant's presend_on_failure is `reject`. Without a hook it answers at once.
     */
    async check(tenant: AuthTenant, data: PresendData): Promise<Presended> {
      const msg: Presended = { content: data.content, meta: data.meta }
      const hook = tenant.config.presend
      if (!hook) return msg
      const id = newId('evt')
      const body = JSON.stringify({ type: 'message.presend', timestamp: new Date(clock.now()).toISOString(), tenant_id: tenant.tenant_id, data })
      const signal = AbortSignal.timeout(hook.timeout_ms)
      let failure: string
      try {
        const res = await deps.fetch(hook.url, { method: 'POST', headers: webhookHeaders(tenant.webhook_secret, id, body, clock.now()), body, signal })
        if (res.status < 200 || res.status > 299) {
          void res.body?.cancel().catch(() => {})
          throw new HookFailure(`status ${res.status}`)
        }
        // The body is read under the same deadline: a hook that sends headers and then stalls times out too.
        const text = await Promise.race([
          readCapped(res, MAX_ANSWER_BYTES),
          new Promise<never>((_, reject) => {
            if (signal.aborted) reject(signal.reason)
            signal.addEventListener('abort', () => reject(signal.reason), { once: true })
          }),
        ])
        return verdict(text, msg, tenant.config.max_message_bytes)
      } catch (e) {
        if (e instanceof AppError || !(e instanceof Error)) throw e
        failure = e instanceof HookFailure ? e.message : e.name === 'TimeoutError' ? 'timeout' : (e as { code?: string }).code ?? e.name
      }
      warnFailure(tenant.tenant_id, failure, hook.on_failure)
      if (hook.on_failure === 'reject') throw contentRejected(`the pre-send hook could not check the message (${failure})`)
      return msg
    },
  }
}

export type PresendHook = ReturnType<typeof createPresendHook>
