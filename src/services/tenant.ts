// Tenants: creation with one-time secrets, key authentication (cached), config validation and rotation.

import { createHash, timingSafeEqual } from 'node:crypto'
import { isoNow, type Clock } from '../clock'
import type { Config } from '../config'
import type { Store, TenantRow } from '../db/types'
import { AppError, invalid, notFound } from '../errors'
import { newId, randomBase62 } from '../ids'
import { parseOutboundUrl } from './outbound-url'
import { createReadGuard } from './read-guard'
import { createTenantVersions, missedChanges } from './tenant-versions'
import type { CreatedTenant, Tenant, TenantConfig } from '../schemas/tenant'
import { WEBHOOK_EVENTS, type WebhookEvent } from '../schemas/webhook'
import { isJsonObject, parseLimit } from './input'
import type { EventBus, TenantChange } from './events'
import { auditedConfig, type AuditLog } from './audit'
import { effectiveModeration, moderationConfig, type ModerationSettings } from './moderation-config'
import { DEFAULT_UPLOAD_TYPES, MEDIA_PATTERN } from './upload-media'

export type { TenantChange }

/** At most this many entries in a tenant's upload_types. */
const MAX_UPLOAD_TYPES = 100

/** A tenant's config with every environment default applied: what the services act on. */
export interface EffectiveConfig {
  rate_limit_per_sec: number
  max_message_bytes: number
  max_room_members: number
  /** Live WebSocket connections the tenant may hold (default WS_MAX_CONNECTIONS_PER_TENANT). */
  max_connections: number
  webhook_url: string | null
  webhook_events: WebhookEvent[]
  require_user_tokens: boolean
  features: { typing: boolean; presence: boolean; read_receipts: boolean; search: boolean }
  blocklist: ModerationSettings['blocklist']
  presend: ModerationSettings['presend']
  /** Messages older than this many days are removed (SPEC §15); null keeps them forever. */
  retention_days: number | null
  /** Largest upload in bytes (MAX_UPLOAD_BYTES unless the tenant lowers it). */
  max_upload_bytes: number
  /** Total bytes of live uploads the tenant may hold; null: no quota. */
  storage_quota_bytes: number | null
  /** Media types the tenant accepts for uploads (`type/*` wildcards). */
  upload_types: string[]
}

export interface AuthTenant {
  tenant_id: string
  name: string
  config: EffectiveConfig
  webhook_secret: string
  user_token_secret: string
}

export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex')

/** Constant-time comparison of two secrets of any length (compares their digests). */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest())
}

const newApiKey = () => `sk_${randomBase62(40)}`
const newWebhookSecret = () => `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64')}`
const newUserTokenSecret = () => `uts_${randomBase62(40)}`

const MAX_MESSAGE_BYTES = 16 * 1024

/** `audit` records the admin actions (SPEC §14): creation, config changes and rotations, never a secret. */
type Deps = { store: Store; clock: Clock; config: Config; events: EventBus; audit: Pick<AuditLog, 'record'> }

export function createTenantService({ store, clock, config, events, audit }: Deps) {
  const admin = (action: string, tenantId: string, data: Record<string, unknown>) => audit.record({ tenant_id: tenantId, actor: 'admin', action, target: tenantId, data })

  /** Validates a partial config key by key; errors name `config.<key>` (SPEC §10). Unknown keys are dropped. */
  function validateConfig(raw: unknown): TenantConfig {
    if (!isJsonObject(raw)) throw invalid('config', 'config must be a JSON object')
    const input = raw
    const out: TenantConfig = {}
    const int = (key: string, min: number, max: number) => {
      const v = input[key]
      if (!Number.isInteger(v) || (v as number) < min || (v as number) > max)
        throw invalid(`config.${key}`, `${key} must be an integer between ${min} and ${max}`)
      return v as number
    }
    if ('rate_limit_per_sec' in input) out.rate_limit_per_sec = int('rate_limit_per_sec', 1, config.DEFAULT_RATE_LIMIT)
    if ('max_message_bytes' in input) out.max_message_bytes = int('max_message_bytes', 1, MAX_MESSAGE_BYTES)
    if ('max_room_members' in input) out.max_room_members = int('max_room_members', 2, config.MAX_ROOM_MEMBERS)
    if ('max_connections' in input) out.max_connections = int('max_connections', 1, config.WS_MAX_CONNECTIONS_PER_TENANT)
    if ('webhook_url' in input) {
      // Scheme, credentials, localhost and literal private addresses here; names are resolved and
      // checked before every delivery attempt, which connects only to the checked address
      // (services/outbound-fetch.ts).
      const v = input.webhook_url
      if (v !== null) parseOutboundUrl('config.webhook_url', v, config.ALLOW_HTTP_WEBHOOKS)
      out.webhook_url = v as string | null
    }
    if ('webhook_events' in input) {
      // Absent means every event (SPEC Revision 2) and [] means none. null puts the default back:
      // the key is kept as undefined, so the merge in patch overrides the stored list and
      // JSON.stringify then leaves the key out (one stored form for "not set").
      const v = input.webhook_events
      if (v !== null && (!Array.isArray(v) || v.some((e) => !(WEBHOOK_EVENTS as readonly unknown[]).includes(e))))
        throw invalid('config.webhook_events', `webhook_events must be null (every event) or a list of events among ${WEBHOOK_EVENTS.join(', ')}`)
      out.webhook_events = v === null ? undefined : [...new Set(v as WebhookEvent[])]
    }
    if ('retention_days' in input) {
      // null puts "forever" back (the key is then left out of the stored config, as webhook_events).
      out.retention_days = input.retention_days === null ? undefined : int('retention_days', 1, 3650)
    }
    if ('require_user_tokens' in input) {
      if (typeof input.require_user_tokens !== 'boolean') throw invalid('config.require_user_tokens', 'require_user_tokens must be a boolean')
      out.require_user_tokens = input.require_user_tokens
    }
    Object.assign(out, moderationConfig(input, config.ALLOW_HTTP_WEBHOOKS)) // blocklist, presend_* (SPEC §14)
    if ('max_upload_bytes' in input) out.max_upload_bytes = int('max_upload_bytes', 1, config.MAX_UPLOAD_BYTES)
    if ('storage_quota_bytes' in input) {
      // null removes the quota; stored as absent, like webhook_events.
      out.storage_quota_bytes = input.storage_quota_bytes === null ? undefined : int('storage_quota_bytes', 0, Number.MAX_SAFE_INTEGER)
    }
    if ('upload_types' in input) {
      const v = input.upload_types
      if (v === null) out.upload_types = undefined
      else if (!Array.isArray(v) || v.length > MAX_UPLOAD_TYPES || v.some((e) => typeof e !== 'string' || !MEDIA_PATTERN.test(e)))
        throw invalid('config.upload_types', `upload_types must be null (the default) or up to ${MAX_UPLOAD_TYPES} lower-case media types such as image/png or image/*`)
      else out.upload_types = [...new Set(v as string[])]
    }
    if ('features' in input) {
      const f = input.features
      if (!f || typeof f !== 'object' || Array.isArray(f)) throw invalid('config.features', 'features must be an object')
      out.features = {}
      for (const k of ['typing', 'presence', 'read_receipts', 'search'] as const) {
        if (!(k in f)) continue
        const b = (f as Record<string, unknown>)[k]
        if (typeof b !== 'boolean') throw invalid(`config.features.${k}`, `${k} must be a boolean`)
        out.features[k] = b
      }
    }
    return out
  }

  function effective(stored: TenantConfig): EffectiveConfig {
    return {
      rate_limit_per_sec: stored.rate_limit_per_sec ?? config.DEFAULT_RATE_LIMIT,
      max_message_bytes: stored.max_message_bytes ?? MAX_MESSAGE_BYTES,
      max_room_members: stored.max_room_members ?? config.MAX_ROOM_MEMBERS,
      max_connections: stored.max_connections ?? config.WS_MAX_CONNECTIONS_PER_TENANT,
      webhook_url: stored.webhook_url ?? null,
      webhook_events: stored.webhook_events ?? [...WEBHOOK_EVENTS],
      require_user_tokens: stored.require_user_tokens ?? false,
      retention_days: stored.retention_days ?? null,
      features: {
        typing: stored.features?.typing ?? true,
        presence: stored.features?.presence ?? true,
        read_receipts: stored.features?.read_receipts ?? true,
        search: stored.features?.search ?? true,
      },
      ...effectiveModeration(stored),
      max_upload_bytes: Math.min(stored.max_upload_bytes ?? config.MAX_UPLOAD_BYTES, config.MAX_UPLOAD_BYTES),
      storage_quota_bytes: stored.storage_quota_bytes ?? null,
      upload_types: stored.upload_types ?? DEFAULT_UPLOAD_TYPES,
    }
  }

  const toTenant = (r: TenantRow): Tenant => ({
    tenant_id: r.tenant_id,
    name: r.name,
    config: JSON.parse(r.config),
    created_at: r.created_at,
  })
  const toAuth = (r: TenantRow): AuthTenant => ({
    tenant_id: r.tenant_id,
    name: r.name,
    config: effective(JSON.parse(r.config)),
    webhook_secret: r.webhook_secret,
    user_token_secret: r.user_token_secret,
  })

  // Key-hash → tenant cache. Every tenant write evicts that tenant after it commits and before it
  // answers, so a rotated key is dead at once (SPEC §2). Bounded so random keys cannot grow it
  // (misses are not cached). `changes` counts evictions: a lookup that was in flight across one
  // may hold the row from before the commit, so it answers but does not cache (a key lookup cannot
  // know its tenant before the read, hence one counter for all; changes are rare admin calls).
  const byKey = new Map<string, AuthTenant>()
  let changes = 0
  const byIdReads = createReadGuard()
  const versions = createTenantVersions()
  const evict = (tenantId: string) => {
    changes++
    byIdReads.invalidate(tenantId)
    for (const [k, v] of byKey) if (v.tenant_id === tenantId) byKey.delete(k)
  }
  /** Awaited before a change answers: the multi-instance mode tells the other instances here. */
  let broadcast: (tenantId: string, why: TenantChange) => void | Promise<void> = () => {}
  const changed = async (tenantId: string, why: TenantChange) => {
    evict(tenantId)
    events.emit({ type: 'tenant.changed', tenantId, why })
    await broadcast(tenantId, why)
  }

  async function mustGet(tenantId: string): Promise<TenantRow> {
    const row = await store.tenants.get(tenantId)
    if (!row) throw notFound('tenant')
    return row
  }

  return {
    validateConfig,
    effective,

    async create(name: string, configInput: unknown = {}): Promise<CreatedTenant> {
      if (typeof name !== 'string' || name.length < 1 || name.length > 200) throw invalid('name', 'name must be 1-200 characters')
      const cfg = validateConfig(configInput)
      const apiKey = newApiKey()
      const row: TenantRow = {
        tenant_id: newId('tnt'),
        name,
        api_key_hash: hashKey(apiKey),
        webhook_secret: newWebhookSecret(),
        user_token_secret: newUserTokenSecret(),
        config: JSON.stringify(cfg),
        created_at: isoNow(clock),
      }
      await store.tenants.insert(row)
      await admin('tenant.create', row.tenant_id, { name, config: auditedConfig(cfg) })
      return {
        ...toTenant(row),
        api_key: apiKey,
        webhook_secret: row.webhook_secret,
        user_token_secret: row.user_token_secret,
      }
    },

    /** GET /v1/admin/tenants: oldest first, `limit` per page (SPEC §15). */
    async list(q: { limit?: string; cursor?: string } = {}) {
      const page = await store.tenants.page(parseLimit(q.limit), q.cursor)
      return { tenants: page.rows.map(toTenant), next_cursor: page.next_cursor }
    },

    /**
     * Deletes a tenant (SPEC §15): marks it deleted with its job in one store step, then drops it from
     * every cache and tells every instance ('deleted': its sockets close with 1008) before answering,
     * so its keys and tokens are refused from the moment this returns. NOT_FOUND when absent.
     */
    async remove(tenantId: string): Promise<{ job_id: string }> {
      const job = { job_id: newId('job'), tenant_id: tenantId, kind: 'tenant.delete' as const, target: tenantId, created_at: isoNow(clock) }
      if (!(await store.tenants.markDeleted(tenantId, job.created_at, job))) throw notFound('tenant')
      await changed(tenantId, 'deleted')
      await admin('tenant.delete', tenantId, { job_id: job.job_id })
      return { job_id: job.job_id }
    },

    /** The tenant without the usage queries (a cheap existence check; 404 if unknown). */
    getWithoutUsage: async (tenantId: string): Promise<Tenant> => toTenant(await mustGet(tenantId)),

    async get(tenantId: string, connections: number) {
      const row = await mustGet(tenantId)
      const [u, files] = await Promise.all([store.tenants.usage(tenantId), store.uploads.usage(tenantId)])
      return { ...toTenant(row), usage: { rooms: u.rooms, messages: u.messages, connections, uploads: files.uploads, storage_bytes: files.bytes } }
    },

    async patch(tenantId: string, patch: { name?: string; config?: unknown }): Promise<Tenant> {
      const row = await mustGet(tenantId)
      const incoming = patch.config !== undefined ? validateConfig(patch.config) : {}
      const current: TenantConfig = JSON.parse(row.config)
      const merged: TenantConfig = { ...current, ...incoming }
      if (incoming.features) merged.features = { ...current.features, ...incoming.features }
      const updated = (await store.tenants.update(tenantId, { name: patch.name, config: JSON.stringify(merged) }))!
      await changed(tenantId, 'config')
      await admin('tenant.update', tenantId, { ...(patch.name !== undefined && { name: patch.name }), config: auditedConfig(incoming) })
      return toTenant(updated)
    },

    async rotate(tenantId: string, which: string = 'api_key'): Promise<Record<string, string>> {
      await mustGet(tenantId)
      let value: string
      if (which === 'api_key') {
        value = newApiKey()
        await store.tenants.setSecret(tenantId, 'api_key_hash', hashKey(value))
      } else if (which === 'webhook_secret') {
        value = newWebhookSecret()
        await store.tenants.setSecret(tenantId, 'webhook_secret', value)
      } else if (which === 'user_token_secret') {
        value = newUserTokenSecret()
        await store.tenants.setSecret(tenantId, 'user_token_secret', value)
      } else {
        throw invalid('which', 'which must be api_key, webhook_secret or user_token_secret')
      }
      await changed(tenantId, which === 'api_key' ? 'rotate' : which === 'user_token_secret' ? 'token_secret' : 'secret')
      await admin('tenant.rotate', tenantId, { which })
      return { [which]: value }
    },

    /** Resolves an API key to its tenant, or throws AUTHENTICATION_ERROR. */
    async authenticate(apiKey: string): Promise<AuthTenant> {
      const h = hashKey(apiKey)
      const hit = byKey.get(h)
      if (hit) return hit
      const seen = changes
      const row = await store.tenants.byKeyHash(h)
      if (!row) throw new AppError('AUTHENTICATION_ERROR', 'invalid API key')
      const t = toAuth(row)
      if (changes !== seen) return t // a tenant changed during the read: this answer may predate it
      if (byKey.size > 10_000) byKey.clear()
      byKey.set(h, t)
      versions.saw(row)
      return t
    },

    /**
     * The tenant as an authenticated caller sees it (fresh config), or null if it does not exist.
     * Callers cache this answer until tenant.changed (token verification), so a read that a change of
     * this tenant overtook is read again, and the answer postdates every change notified before it
     * returns. Bounded: if the tenant changes during three reads in a row, the third answer stands.
     */
    async authById(tenantId: string): Promise<AuthTenant | null> {
      for (let attempt = 1; ; attempt++) {
        const end = byIdReads.begin(tenantId)
        let row: TenantRow | null
        try {
          row = await store.tenants.get(tenantId)
        } catch (e) {
          end()
          throw e
        }
        const overtaken = end()
        if (!overtaken && row) versions.saw(row)
        if (!overtaken || attempt === 3) return row ? toAuth(row) : null
      }
    },

    /** Multi-instance: `send` tells the others of a local change; `received` applies theirs here. */
    shareChanges(send: (tenantId: string, why: TenantChange) => void | Promise<void>) {
      broadcast = send
    },
    changedElsewhere(tenantId: string, why: TenantChange) {
      evict(tenantId)
      events.emit({ type: 'tenant.changed', tenantId, why })
    },

    /**
     * Multi-instance, after Redis returned from an outage: the notices of changes other instances
     * made meanwhile never came. Empties the key cache (REST callers are read afresh) and, for each
     * tenant this instance had read, compares the stored row with what it read then and applies
     * every change it finds as if its notice had come (sockets of a rotated secret close, a
     * deleted tenant's sockets close, config is refreshed). Resolves to the number of changes applied.
     */
    async resyncAfterOutage(): Promise<number> {
      changes++
      byKey.clear()
      let applied = 0
      for (const [tenantId, old] of versions.entries()) {
        byIdReads.invalidate(tenantId)
        const row = await store.tenants.get(tenantId)
        if (row) versions.saw(row)
        else versions.forget(tenantId)
        for (const why of missedChanges(old, row)) {
          evict(tenantId)
          events.emit({ type: 'tenant.changed', tenantId, why })
          applied++
        }
      }
      return applied
    },
  }
}

export type TenantService = ReturnType<typeof createTenantService>
