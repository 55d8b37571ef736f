// Tenant and admin wire shapes (SPEC §4 Admin).

import { Type as t, type Static } from '@sinclair/typebox'
import { JsonObjectInput, Timestamp } from './common'
import { WebhookEventName } from './webhook'

export const Features = t.Object({
  typing: t.Optional(t.Boolean()),
  presence: t.Optional(t.Boolean()),
  read_receipts: t.Optional(t.Boolean()),
  search: t.Optional(t.Boolean({ description: 'GET /v1/search (SPEC §13); off → 403' })),
})

/** Tenant config as stored and returned; every key optional (environment defaults apply). */
export const TenantConfig = t.Object({
  rate_limit_per_sec: t.Optional(t.Integer({ minimum: 1 })),
  max_message_bytes: t.Optional(t.Integer({ minimum: 1 })),
  max_room_members: t.Optional(t.Integer({ minimum: 2 })),
  max_connections: t.Optional(t.Integer({ minimum: 1 })),
  webhook_url: t.Optional(t.Union([t.String({ maxLength: 2048 }), t.Null()])),
  webhook_events: t.Optional(t.Array(WebhookEventName, { description: 'events sent to webhook_url; absent: every event, []: none' })),
  require_user_tokens: t.Optional(t.Boolean()),
  features: t.Optional(Features),
})
export type TenantConfig = Static<typeof TenantConfig>

/** Config in a request: validated key by key by the service so errors name `config.<key>` (see JsonObjectInput). */
export const TenantConfigInput = t.Unknown({ ...JsonObjectInput, description: 'partial tenant config (JSON object); merged' })

export const CreateTenantBody = t.Object({
  name: t.String({ minLength: 1, maxLength: 200 }),
  config: t.Optional(TenantConfigInput),
})
export const PatchTenantBody = t.Object({
  name: t.Optional(t.String({ minLength: 1, maxLength: 200 })),
  config: t.Optional(TenantConfigInput),
})
export const RotateKeyBody = t.Object({
  which: t.Optional(t.String({ description: 'api_key (default), webhook_secret or user_token_secret' })),
})

export const Tenant = t.Object({
  tenant_id: t.String(),
  name: t.String(),
  config: TenantConfig,
  created_at: Timestamp,
})
export type Tenant = Static<typeof Tenant>

export const TenantWithUsage = t.Object({
  ...Tenant.properties,
  usage: t.Object({ rooms: t.Integer(), messages: t.Integer(), connections: t.Integer() }),
})

export const CreatedTenant = t.Object({
  ...Tenant.properties,
  api_key: t.String(),
  webhook_secret: t.String(),
  user_token_secret: t.String(),
})
export type CreatedTenant = Static<typeof CreatedTenant>

export const TenantList = t.Object({ tenants: t.Array(Tenant) })
export const RotatedSecret = t.Record(t.String(), t.String(), { description: '{<which>: new value}' })
