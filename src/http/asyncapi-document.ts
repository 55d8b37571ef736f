// The AsyncAPI 3.0 document of GET /ws, generated from the frame schemas the server itself is typed
// with (src/schemas/frames.ts, server-frames.ts), so it cannot drift from what is sent and accepted.
//
// AsyncAPI describes the application, here the server: a client frame is a `receive` operation,
// a server frame a `send` one. A direct answer to a client frame is that operation's `reply`,
// correlated by request_id.

import type { TSchema } from '@sinclair/typebox'
import { ClientFrames, type ClientFrameType } from '../schemas/frames'
import { ServerFrames, type ServerFrameType } from '../schemas/server-frames'

export interface AsyncApiLimits {
  MAX_WS_FRAME_BYTES: number
  WS_MSG_RATE: number
  WS_PING_INTERVAL_MS: number
  WS_IDLE_TIMEOUT_MS: number
  WS_BACKPRESSURE_LIMIT: number
}

/** What a client sees when the connection ends, and why (SPEC §2, §5). */
export const CLOSE_CODES = [
  { code: 1000, reason: 'normal closure', meaning: 'the client closed the connection' },
  { code: 1001, reason: 'server shutting down', meaning: 'the server is restarting; `server.shutdown` came first: reconnect after its `reconnect_after_ms`' },
  { code: 1002, reason: 'protocol error', meaning: 'the client broke the WebSocket framing (reserved opcode, continuation without a start)' },
  { code: 1006, reason: '(no close frame)', meaning: "reported by the client when the server dropped the socket: its send buffer passed WS_BACKPRESSURE_LIMIT, or it stayed silent for WS_IDLE_TIMEOUT_MS; nothing is lost, reconnect and the sync resumes from the last ack" },
  { code: 1007, reason: 'invalid payload', meaning: 'a text frame was not valid UTF-8' },
  {
    code: 1008,
    reason: 'api key rotated / user token secret rotated / user tokens required / token expired / user banned',
    meaning: "the credentials the connection was opened with no longer hold: the tenant's API key or user_token_secret was rotated, the tenant turned require_user_tokens on (key connections), the user token's exp passed, or the parent app banned the user from the tenant (a new connection then gets 403 until the ban ends); reconnect with valid credentials",
  },
  { code: 1009, reason: 'message too big', meaning: 'a frame over MAX_WS_FRAME_BYTES' },
] as const

/** Client frame → the server frames that answer it directly (an `error` may answer any of them). */
const REPLIES: Record<ClientFrameType, ServerFrameType[]> = {
  send_message: ['message.sent', 'error'],
  ack: ['ack.received', 'error'],
  read: ['read.updated', 'error'],
  'typing.start': ['error'],
  'typing.stop': ['error'],
  sync: ['sync.done', 'error'],
  'notification.ack': ['error'],
  ping: ['pong', 'error'],
}

const CLIENT_SUMMARIES: Record<ClientFrameType, string> = {
  send_message: 'send a message; stored exactly as over REST (client_msg_id makes a retry idempotent)',
  ack: "move the caller's delivery cursor in a room (never backwards)",
  read: "move the caller's read marker in a room (never backwards)",
  'typing.start': 'start a typing indicator (relayed to the other members; ends after 6 s without a refresh)',
  'typing.stop': 'stop a typing indicator',
  sync: "with after_seq: re-stream the messages after it; with after_rev: stream message.updated for each message changed after that rev, in rev order (one of the two; at most SYNC_MAX_PER_ROOM, then sync.truncated); costs the tenant's rate limit one token per started 100 messages it may stream, and when the tenant cannot pay, an error RATE_LIMIT_EXCEEDED and nothing is streamed",
  'notification.ack': 'mark a notification delivered to this user',
  ping: 'a barrier: pong comes once every frame sent before it has been handled',
}

/** The frame schemas as plain JSON Schema (TypeBox keeps its own markers under symbols). */
const plain = (s: TSchema): Record<string, unknown> => JSON.parse(JSON.stringify(s))
const opId = (action: 'receive' | 'send', type: string) => `${action}_${type.replace(/\./g, '_')}`
const hasRequestId = (s: TSchema) => 'request_id' in (s.properties ?? {})
const msgRef = (type: string) => ({ $ref: `#/channels/socket/messages/${type}` })

function description(l: AsyncApiLimits): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|')
  const codes = CLOSE_CODES.map((c) => `| ${c.code} | ${cell(c.reason)} | ${cell(c.meaning)} |`).join('\n')
  return [
    'The realtime side of ChatAPI: one WebSocket per device at `GET /ws`. Every frame is one JSON object with a `type`.',
    'A client frame may carry `request_id` (at most 64 characters); the server echoes it on the direct answer or `error`.',
    '',
    '**Connecting.** Credentials go with the upgrade request: `X-API-Key` + `X-User-Id` headers (server side only), ' +
      '`Authorization: Bearer <user token>`, or `?token=<user token>` (browsers, which cannot set headers). ' +
      'No other query string, cookie or subprotocol carries credentials. A refused upgrade is a plain HTTP answer with the ' +
      'JSON error envelope: 401 for any credential problem, 403 when the tenant requires user tokens and a key was used. ' +
      'Then the server sends `connected`, streams every room\'s messages after the user\'s ack (`sync.truncated` past ' +
      'SYNC_MAX_PER_ROOM), `sync.done` without `room_id`, and the pending notifications; live frames follow.',
    '',
    `**Limits of this server.** A frame over ${l.MAX_WS_FRAME_BYTES} bytes closes the connection (1009). ` +
      `${l.WS_MSG_RATE} frames/s per connection (burst ${l.WS_MSG_RATE * 2}); over it, an \`error\` RATE_LIMIT_EXCEEDED and the frame is dropped. ` +
      'The upgrade, each `send_message` and each `sync` are also charged to the tenant\'s rate limit, as REST calls are. ' +
      `The server pings every ${l.WS_PING_INTERVAL_MS} ms and drops a connection silent for ${l.WS_IDLE_TIMEOUT_MS} ms. ` +
      `A client that lets ${l.WS_BACKPRESSURE_LIMIT} bytes pile up unread is disconnected (it sees 1006).`,
    '',
    '**Order and duplicates.** Live messages of a room reach a connection in ascending `seq`; redelivery and an explicit ' +
      '`sync` may repeat earlier ones, so dedupe by `message_id`. Changes to existing messages (edits, deletes, reactions, ' +
      'pins, replies) carry the message\'s `rev`: apply one only when its `rev` is above the one you hold, and catch up on ' +
      'them with `sync` `after_rev` (the room\'s `last_rev` you kept). The frame schemas are exact for this version; later ' +
      'versions may add fields and frame types: ignore what you do not know.',
    '',
    '**Close codes** (also in `x-close-codes` of the channel):',
    '',
    '| code | reason | meaning |',
    '| --- | --- | --- |',
    codes,
    '',
    'The REST API is described by the OpenAPI document at `/swagger/json`.',
  ].join('\n')
}

/**
 * Builds the document. The host is a server variable, not the request's Host header: a reflected
 * Host could be cached by a proxy and point other readers' clients (and their keys) elsewhere.
 */
export function asyncApiDocument(version: string, limits: AsyncApiLimits, defaultHost: string) {
  const messages: Record<string, unknown> = {}
  const add = (type: string, schema: TSchema, summary: string, from: 'client' | 'server') => {
    if (type in messages) throw new Error(`frame type ${type} is both a client and a server frame`)
    messages[type] = {
      name: type,
      title: type,
      summary,
      contentType: 'application/json',
      payload: plain(schema),
      ...(hasRequestId(schema) && { correlationId: { $ref: '#/components/correlationIds/requestId' } }),
      tags: [{ name: from === 'client' ? 'client frame' : 'server frame' }],
    }
  }
  for (const [type, schema] of Object.entries(ClientFrames)) add(type, schema, CLIENT_SUMMARIES[type as ClientFrameType], 'client')
  for (const [type, schema] of Object.entries(ServerFrames)) add(type, schema, String(schema.description), 'server')

  const operations: Record<string, unknown> = {}
  for (const type of Object.keys(ClientFrames) as ClientFrameType[])
    operations[opId('receive', type)] = {
      action: 'receive',
      channel: { $ref: '#/channels/socket' },
      summary: CLIENT_SUMMARIES[type],
      messages: [msgRef(type)],
      reply: { channel: { $ref: '#/channels/socket' }, messages: REPLIES[type].map(msgRef) },
    }
  for (const type of Object.keys(ServerFrames) as ServerFrameType[])
    operations[opId('send', type)] = {
      action: 'send',
      channel: { $ref: '#/channels/socket' },
      summary: String(ServerFrames[type].description),
      messages: [msgRef(type)],
    }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'ChatAPI WebSocket',
      version,
      description: description(limits),
    },
    defaultContentType: 'application/json',
    servers: Object.fromEntries(
      (['ws', 'wss'] as const).map((protocol) => [
        protocol,
        {
          host: '{host}',
          protocol,
          description: protocol === 'ws' ? 'plain WebSocket (local, or behind a proxy on a private network)' : 'WebSocket over TLS (a TLS-terminating proxy in front)',
          variables: { host: { default: defaultHost, description: 'host[:port] where this server is reached' } },
          security: ['apiKey', 'bearer', 'token'].map((scheme) => ({ $ref: `#/components/securitySchemes/${scheme}` })),
        },
      ]),
    ),
    channels: {
      socket: {
        address: '/ws',
        title: 'GET /ws',
        description: 'One connection per device: every client and server frame of the protocol travels here.',
        servers: [{ $ref: '#/servers/ws' }, { $ref: '#/servers/wss' }],
        messages: Object.fromEntries(Object.keys(messages).map((type) => [type, { $ref: `#/components/messages/${type}` }])),
        bindings: {
          ws: {
            method: 'GET',
            headers: {
              type: 'object',
              properties: {
                'X-API-Key': { type: 'string', description: 'tenant API key (server side only); needs X-User-Id' },
                'X-User-Id': { type: 'string', pattern: '^[A-Za-z0-9._:@-]{1,128}$', description: 'the end user the connection acts for (with X-API-Key)' },
                Authorization: { type: 'string', pattern: '^Bearer ', description: 'Bearer <user token>' },
              },
            },
            query: {
              type: 'object',
              properties: { token: { type: 'string', description: 'a user token (JWT, HS256), for clients that cannot set headers' } },
              additionalProperties: false,
            },
            bindingVersion: '0.1.0',
          },
        },
        'x-close-codes': CLOSE_CODES,
      },
    },
    operations,
    components: {
      messages,
      correlationIds: {
        requestId: { description: 'a client frame\'s request_id, echoed on its answer', location: '$message.payload#/request_id' },
      },
      securitySchemes: {
        apiKey: { type: 'httpApiKey', in: 'header', name: 'X-API-Key', description: 'tenant API key, sent together with the X-User-Id header (server side only)' },
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'user token in the Authorization header' },
        token: { type: 'httpApiKey', in: 'query', name: 'token', description: 'user token in the query string (browsers)' },
      },
    },
  }
}
