// The hand-written parts of the OpenAPI document: info, servers, tags, credentials, the shared
// headers and parameters, and which wire shapes are named components (document.ts assembles it all).

import { ErrorBody, UserId } from '../../schemas/common'
import { Message, MessageAck } from '../../schemas/message'
import { DeadLetter, Subscription } from '../../schemas/notification'
import { Member, Room, RoomListItem } from '../../schemas/room'
import { CreatedTenant, Tenant, TenantConfig, TenantWithUsage } from '../../schemas/tenant'
import { Upload } from '../../schemas/upload'
import { AuditEntry, Block, Report, RoomBan, RoomMute, TenantBan } from '../../schemas/moderation'

/** Wire shapes the document names; every copy of one in an operation becomes a $ref to it. */
export const COMPONENT_SCHEMAS = {
  Error: ErrorBody,
  Room,
  RoomListItem,
  Member,
  Message,
  MessageAck,
  Subscription,
  DeadLetter,
  Tenant,
  TenantConfig,
  TenantWithUsage,
  CreatedTenant,
  Upload,
  RoomBan,
  RoomMute,
  TenantBan,
  Block,
  Report,
  AuditEntry,
}

/** components.responses names of the shared error answers, by area (document.ts areaOf). */
export const ERROR_RESPONSE_NAMES: Record<string, string> = { tenant: 'TenantError', admin: 'AdminError', open: 'Error' }

const integerHeader = (description: string, required: boolean, example: number) => ({ description, required, schema: { type: 'integer', minimum: 0 }, example })
const RATE_LIMIT = {
  Limit: ['Requests per second the tenant may make (its rate_limit_per_sec).', 100],
  Remaining: ['Requests left in the bucket right now.', 99],
  Reset: ['When the bucket is full again, in unix seconds.', 1795640000],
} as const

export const HEADERS = {
  XRequestId: {
    description: 'The id of this request in the server log: a valid incoming X-Request-Id (1-128 of [A-Za-z0-9._:-]) echoed, else a generated one.',
    required: true,
    schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
    example: 'req_4fJ8kQ2mN7pR1a',
  },
  ...Object.fromEntries(
    Object.entries(RATE_LIMIT).flatMap(([name, [description, example]]) => [
      [`XRateLimit${name}`, integerHeader(description, true, example)],
      [`XRateLimit${name}IfKnown`, integerHeader(`${description} Present once the credentials are accepted (not when X-User-Id is missing).`, false, example)],
    ]),
  ),
  RetryAfter: integerHeader('Seconds to wait before the next request.', true, 1),
}

export const PARAMETERS = {
  XUserId: {
    name: 'X-User-Id',
    in: 'header',
    required: false,
    description:
      'The end user the call acts for. Required with X-API-Key (missing or malformed: 400 on field X-User-Id); not used with a Bearer token, which names its user.',
    schema: { type: 'string', pattern: UserId.pattern, minLength: 1, maxLength: 128 },
    example: 'alice',
  },
  XUserIdAppLevel: {
    name: 'X-User-Id',
    in: 'header',
    required: false,
    description:
      'Optional on this call, which acts for the parent app: the API key alone is enough. When sent it is still checked (malformed: 400 on field X-User-Id) and the call acts as that user.',
    schema: { type: 'string', pattern: UserId.pattern, minLength: 1, maxLength: 128 },
    example: 'alice',
  },
}

const INTRO = `Self-hosted multi-tenant chat backend: rooms, members, messages, delivery state and notifications over REST, live events over WebSocket (GET /ws: every frame, the upgrade's credentials and the close codes are described by the AsyncAPI 3.0 document at [/asyncapi.json](/asyncapi.json)).

**Credentials.** Tenant calls send \`X-API-Key\` (server side only) with \`X-User-Id\` naming the end user, or a user token as \`Authorization: Bearer <jwt>\` (for browsers and mobile apps; mint one with POST /v1/tokens). Calls that act for the parent app rather than a user (POST /v1/tokens, POST /v1/notify, /v1/moderation/*, subscriptions with an endpoint) need the API key; tokens, notify and moderation take it alone, without X-User-Id. A user the parent app banned from the tenant gets 403 on every call. Admin calls send \`X-Master-Key\`.

**Errors.** Every non-2xx JSON answer is \`{"success": false, "error": {"code", "message", "field"?}}\`; the code fixes the status. When several things are wrong, the first in this order answers: unknown route 404, credentials 401/403, rate limit 429, body size 413, media type 415, malformed JSON 400, validation 400, access 404/403, content refused by the blocklist or the pre-send hook 422 (CONTENT_REJECTED), state 409.

**Headers.** Every answer carries \`X-Request-Id\`; tenant answers carry \`X-RateLimit-Limit\`, \`X-RateLimit-Remaining\` and \`X-RateLimit-Reset\`, and a 429 \`Retry-After\`.`

export const DOCUMENT_HEAD = (version: string) => ({
  info: {
    title: 'ChatAPI',
    version,
    description: INTRO,
    contact: { name: 'ChatAPI maintainers' },
    // The repository has no license file yet: say so rather than guess one.
    license: { name: 'Proprietary: no license has been granted yet', identifier: 'LicenseRef-ChatAPI-Proprietary' },
  },
  servers: [{ url: '/', description: 'This ChatAPI instance (the server that serves this document).' }],
  tags: [
    { name: 'rooms', description: 'Create, find, change and join rooms: dms, groups and channels.' },
    { name: 'members', description: 'Who is in a room, adding people and leaving.' },
    { name: 'messages', description: 'Send, page through, edit and delete messages; each has a per-room seq. Replies (threads), mentions and the change feed (rev) too.' },
    { name: 'reactions', description: 'Emoji or shortcode reactions on a message, and who made them.' },
    { name: 'pins', description: "A room's pinned messages." },
    { name: 'search', description: 'Full-text search over the messages of your rooms.' },
    { name: 'delivery', description: 'Delivery and read cursors (acks, read markers) and presence.' },
    { name: 'notifications', description: 'App-defined events to users, rooms or topic subscribers, over WebSocket and webhooks.' },
    { name: 'uploads', description: 'Files and images: upload (streamed), attach to messages, download with access checks or a signed URL.' },
    { name: 'moderation', description: 'Bans, mutes, read-only rooms, blocks, reports and their review queue, and the audit log.' },
    { name: 'auth', description: 'User tokens for clients that must never hold the API key.' },
    { name: 'admin', description: 'Tenants, dead letters and backups; needs X-Master-Key.' },
    { name: 'operations', description: 'Health and metrics for operators; no credentials.' },
  ],
  components: {
    securitySchemes: {
      apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: "The tenant's API key (sk_…), for servers only; send X-User-Id with it." },
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A user token (HS256 JWT with sub, tid, exp), signed with the tenant user_token_secret or minted by POST /v1/tokens.' },
      masterKey: { type: 'apiKey', in: 'header', name: 'X-Master-Key', description: 'MASTER_API_KEY of this server; admin calls only.' },
    },
  },
})
