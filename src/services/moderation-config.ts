// The tenant config keys of SPEC §14: the blocklist and the pre-send hook. Validated key by key like
// the rest of the config (services/tenant.ts), errors naming config.<key>.

import { invalid } from '../errors'
import type { TenantConfig } from '../schemas/tenant'
import { isJsonObject } from './input'
import { parseOutboundUrl } from './outbound-url'

const MAX_BLOCKLIST_TERMS = 1000
const MAX_TERM_CHARS = 64

/** What the services act on; both null when the tenant has not set them. */
export interface ModerationSettings {
  blocklist: { terms: string[]; action: 'reject' | 'mask' } | null
  presend: { url: string; timeout_ms: number; on_failure: 'allow' | 'reject' } | null
}

type Keys = Pick<TenantConfig, 'blocklist' | 'presend_url' | 'presend_timeout_ms' | 'presend_on_failure'>

/** The SPEC §14 keys present in a config input, checked. null removes the blocklist or the hook. */
export function moderationConfig(input: Record<string, unknown>, allowHttp: boolean): Keys {
  const out: Keys = {}
  if ('blocklist' in input) out.blocklist = blocklist(input.blocklist)
  if ('presend_url' in input) {
    // Checked like webhook_url here; resolved and checked again on every call (services/presend.ts).
    const v = input.presend_url
    if (v !== null) parseOutboundUrl('config.presend_url', v, allowHttp)
    out.presend_url = v as string | null
  }
  if ('presend_timeout_ms' in input) {
    const v = input.presend_timeout_ms
    if (!Number.isInteger(v) || (v as number) < 50 || (v as number) > 5000)
      throw invalid('config.presend_timeout_ms', 'presend_timeout_ms must be an integer between 50 and 5000')
    out.presend_timeout_ms = v as number
  }
  if ('presend_on_failure' in input) {
    const v = input.presend_on_failure
    if (v !== 'allow' && v !== 'reject') throw invalid('config.presend_on_failure', 'presend_on_failure must be allow or reject')
    out.presend_on_failure = v
  }
  return out
}

/** `{terms, action}` (action defaults to reject), or null to remove it. Terms are literal text, never patterns. */
function blocklist(v: unknown): TenantConfig['blocklist'] {
  if (v === null) return undefined // the key is then left out when stored: no blocklist
  if (!isJsonObject(v)) throw invalid('config.blocklist', 'blocklist must be an object {terms, action} or null')
  const { terms, action = 'reject' } = v
  if (!Array.isArray(terms) || terms.length > MAX_BLOCKLIST_TERMS)
    throw invalid('config.blocklist.terms', `terms must be a list of at most ${MAX_BLOCKLIST_TERMS} strings`)
  for (const term of terms) {
    const n = typeof term === 'string' ? [...term].length : 0
    if (n < 1 || n > MAX_TERM_CHARS) throw invalid('config.blocklist.terms', `each term must be a string of 1-${MAX_TERM_CHARS} characters`)
  }
  if (action !== 'reject' && action !== 'mask') throw invalid('config.blocklist.action', 'action must be reject or mask')
  return { terms: [...new Set(terms as string[])], action }
}

export function effectiveModeration(stored: TenantConfig): ModerationSettings {
  return {
    blocklist: stored.blocklist?.terms.length ? stored.blocklist : null,
    presend: stored.presend_url
      ? { url: stored.presend_url, timeout_ms: stored.presend_timeout_ms ?? 1000, on_failure: stored.presend_on_failure ?? 'allow' }
      : null,
  }
}
