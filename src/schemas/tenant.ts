// Tenant and admin wire shapes (SPEC §4 Admin).

import { Type as t, type Static } from '@sinclair/typebox'
import { ServiceChecked, Timestamp } from './common'
import { exampleTenant, exampleTenantConfig } from './examples'
import { WebhookEventName } from './webhook'

export const Features = t.Object({
  typing: t.Optional(t.Boolean()),
  presence: t.Optional(t.Boolean()),
  read_receipts: t.Optional(t.Boolean()),
  search: t.Optional(t.Boolean({ description: 'GET /v1/search (SPEC §13); off → 403' })),
})

/** Literal terms (never patterns) refused or masked in message content (SPEC §14). */
export const Blocklist = t.Object(
  {
    // No maxLength: JSON Schema counts characters, the validator here UTF-16 units (the service checks 64 characters).
    terms: t.Array(t.String({ minLength: 1, description: '1-64 characters' }), {
      maxItems: 1000,
      description: 'matched case-insensitively after Unicode NFKC, as whole words where a term starts or ends with a letter or digit',
    }),
    action: t.Union([t.Literal('reject'), t.Literal('mask')], { description: 'reject: 422 CONTENT_REJECTED; mask: stored with each match replaced by * of the same length' }),
  },
  { description: 'The blocklist applied to content on send and edit; null removes it.' },
)
export type Blocklist = Static<typeof Blocklist>

/** Tenant config as stored and returned; every key optional (environment defaults apply). */
export const TenantConfig = t.Object(
  {
    rate_limit_per_sec: t.Optional(t.Integer({ minimum: 1, description: 'at most DEFAULT_RATE_LIMIT' })),
    max_message_bytes: t.Optional(t.Integer({ minimum: 1, description: 'at most MAX_MESSAGE_BYTES' })),
    max_room_members: t.Optional(t.Integer({ minimum: 2, description: 'at most MAX_ROOM_MEMBERS' })),
    max_connections: t.Optional(t.Integer({ minimum: 1, description: 'open WebSocket connections the tenant may hold' })),
    webhook_url: t.Optional(t.Union([t.String({ maxLength: 2048 }), t.Null()])),
    webhook_events: t.Optional(t.Array(WebhookEventName, { description: 'events sent to webhook_url; absent: every event, []: none' })),
    require_user_tokens: t.Optional(t.Boolean({ description: 'refuse WebSocket connections made with the API key' })),
    features: t.Optional(Features),
    max_upload_bytes: t.Optional(t.Integer({ minimum: 1, description: 'largest upload (default and ceiling: MAX_UPLOAD_BYTES)' })),
    storage_quota_bytes: t.Optional(t.Union([t.Integer({ minimum: 0 }), t.Null()], { description: 'total bytes of live uploads; absent or null: no quota' })),
    upload_types: t.Optional(
      t.Array(t.String(), { description: 'media types allowed for uploads, type/* wildcards; default image/*, audio/*, video/*, application/pdf, text/plain, application/zip' }),
    ),
    blocklist: t.Optional(Blocklist),
    presend_url: t.Optional(t.Union([t.String({ maxLength: 2048 }), t.Null()], { description: 'pre-send hook: POSTed every message before it is stored (SPEC §14); null turns it off' })),
    presend_timeout_ms: t.Optional(t.Integer({ minimum: 50, maximum: 5000, default: 1000, description: 'how long a send waits for the hook' })),
    presend_on_failure: t.Optional(
      t.Union([t.Literal('allow'), t.Literal('reject')], { default: 'allow', description: 'a timeout, non-2xx or unreadable answer of the hook: store the message as sent, or refuse it (422)' }),
    ),
  },
  { description: 'Tenant settings; a key that is absent takes the environment default.', examples: [exampleTenantConfig] },
)
export type TenantConfig = Static<typeof TenantConfig>

/** Config in a request: validated key by key by the service so errors name `config.<key>` (see JsonObjectInput). */
export const TenantConfigInput = ServiceChecked(
  t.Unknown({ description: 'partial tenant config (JSON object); merged' }),
  { ...TenantConfig, description: 'Tenant settings to change; merged into the current ones (features key by key).' },
)

export const CreateTenantBody = t.Object(
  {
    name: t.String({ minLength: 1, maxLength: 200 }),
    config: t.Optional(TenantConfigInput),
  },
  { examples: [{ name: 'Acme', config: { rate_limit_per_sec: 50 } }] },
)
export const PatchTenantBody = t.Object(
  {
    name: t.Optional(t.String({ minLength: 1, maxLength: 200 })),
    config: t.Optional(TenantConfigInput),
  },
  { examples: [{ config: { features: { read_receipts: true } } }] },
)
const SecretName = t.Union([t.Literal('api_key'), t.Literal('webhook_secret'), t.Literal('user_token_secret')])
export const RotateKeyBody = t.Object(
  {
    which: t.Optional(ServiceChecked(t.String(), { ...SecretName, default: 'api_key', description: 'the secret to replace (default api_key)' })),
  },
  { examples: [{ which: 'api_key' }] },
)

export const Tenant = t.Object(
  {
    tenant_id: t.String(),
    name: t.String(),
    config: TenantConfig,
    created_at: Timestamp,
  },
  { description: 'A customer app; never shown with its secrets.', examples: [exampleTenant] },
)
export type Tenant = Static<typeof Tenant>

export const TenantWithUsage = t.Object(
  {
    ...Tenant.properties,
    usage: t.Object({
      rooms: t.Integer(),
      messages: t.Integer(),
      connections: t.Integer({ description: 'open WebSocket connections' }),
      uploads: t.Integer({ description: 'live uploaded files' }),
      storage_bytes: t.Integer({ description: 'their total size in bytes' }),
    }),
  },
  {
    description: 'A tenant with its usage figures.',
    examples: [{ ...exampleTenant, usage: { rooms: 12, messages: 3480, connections: 7, uploads: 31, storage_bytes: 5242880 } }],
  },
)

export const CreatedTenant = t.Object(
  {
    ...Tenant.properties,
    api_key: t.String({ description: 'sk_…; shown only here and on rotation' }),
    webhook_secret: t.String(),
    user_token_secret: t.String({ description: 'HS256 secret for user tokens you sign yourself' }),
  },
  {
    description: 'A new tenant with its three secrets: the only time they are shown.',
    examples: [{ ...exampleTenant, api_key: 'sk_cAGUN5tICs2ixlMWjbvHZmYOrkj7nawyyzkVP1Cp', webhook_secret: 'whsec_jAOEMm1CSzzJQ5qztwrxWlDOHfNCLDO9', user_token_secret: 'uts_G2DBd77fOXM4vRM74Leae4twUWjNbCT0UkYUk2jL' }],
  },
)
export type CreatedTenant = Static<typeof CreatedTenant>

export const TenantList = t.Object({ tenants: t.Array(Tenant) }, { examples: [{ tenants: [exampleTenant] }] })
export const RotatedSecret = t.Record(t.String(), t.String(), {
  description: '{<which>: new value}; the old value stops working at once',
  examples: [{ api_key: 'sk_UGYi1JNVeWpYvFmOSnpAYMEO67KvtNTey4MfH9P5' }],
})
