// GET /asyncapi.json (no credentials): the WebSocket protocol as an AsyncAPI 3.0 document, generated
// from the frame schemas and valid for the official parser (@asyncapi/parser, which runs offline).

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Parser } from '@asyncapi/parser'
import { ClientFrames } from '../../src/schemas/frames'
import { ServerFrames } from '../../src/schemas/server-frames'
import { startTestServer, type TestServer } from '../support/server'

let s: TestServer
let raw: string
let doc: any
beforeAll(async () => {
  s = await startTestServer({ MAX_WS_FRAME_BYTES: '32768' })
  const r = await fetch(`${s.url}/asyncapi.json`)
  expect(r.status).toBe(200)
  expect(r.headers.get('content-type')).toStartWith('application/json')
  expect(r.headers.get('x-request-id')).toBeTruthy()
  raw = await r.text()
  doc = JSON.parse(raw)
})
afterAll(() => s.stop())

const plain = (schema: unknown) => JSON.parse(JSON.stringify(schema))
const serverTypes = Object.keys(ServerFrames)
const clientTypes = Object.keys(ClientFrames)

describe('GET /asyncapi.json', () => {
  test('@asyncapi/parser parses it with no error and no warning', async () => {
    const { document, diagnostics } = await new Parser().parse(raw)
    const problems = diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.code} at ${d.path.join('/')}: ${d.message}`)
    expect(problems).toEqual([])
    expect(document).toBeDefined()
    expect(document!.version()).toBe('3.0.0')
    // The parsed model sees every frame as a message of the one channel.
    const channel = document!.channels().all()[0]
    expect(channel.address()).toBe('/ws')
    expect(channel.messages().all().map((m) => m.name()).sort()).toEqual([...serverTypes, ...clientTypes].sort())
  })

  test('every server frame is a message the server sends, with the schema the server is typed with', () => {
    expect(serverTypes.length).toBe(17)
    for (const type of serverTypes) {
      const m = doc.components.messages[type]
      expect(m?.payload).toEqual(plain(ServerFrames[type as keyof typeof ServerFrames]))
      for (const variant of m.payload.anyOf ?? [m.payload]) expect(variant.properties.type.const).toBe(type) // sync.truncated has two shapes
      expect(doc.channels.socket.messages[type]).toEqual({ $ref: `#/components/messages/${type}` })
      const op = doc.operations[`send_${type.replace(/\./g, '_')}`]
      expect(op).toMatchObject({ action: 'send', channel: { $ref: '#/channels/socket' }, messages: [{ $ref: `#/channels/socket/messages/${type}` }] })
    }
  })

  test('every client frame is a message the server receives, with its direct answers as the reply', () => {
    for (const type of clientTypes) {
      expect(doc.components.messages[type].payload).toEqual(plain(ClientFrames[type as keyof typeof ClientFrames]))
      const op = doc.operations[`receive_${type.replace(/\./g, '_')}`]
      expect(op).toMatchObject({ action: 'receive', messages: [{ $ref: `#/channels/socket/messages/${type}` }] })
      expect(op.reply.messages).toContainEqual({ $ref: '#/channels/socket/messages/error' })
    }
    const replies = (t: string) => doc.operations[`receive_${t}`].reply.messages.map((m: { $ref: string }) => m.$ref.split('/').pop())
    expect(replies('send_message')).toEqual(['message.sent', 'error'])
    expect(replies('ping')).toEqual(['pong', 'error'])
    expect(doc.components.messages['message.sent'].correlationId).toEqual({ $ref: '#/components/correlationIds/requestId' })
  })

  test('the upgrade credentials: API key + X-User-Id headers, Bearer, or the token query parameter', () => {
    const schemes = doc.components.securitySchemes
    expect(schemes.apiKey).toMatchObject({ type: 'httpApiKey', in: 'header', name: 'X-API-Key' })
    expect(schemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' })
    expect(schemes.token).toMatchObject({ type: 'httpApiKey', in: 'query', name: 'token' })
    for (const server of Object.values(doc.servers) as { security: unknown[] }[]) expect(server.security).toHaveLength(3)
    const ws = doc.channels.socket.bindings.ws
    expect(Object.keys(ws.headers.properties).sort()).toEqual(['Authorization', 'X-API-Key', 'X-User-Id'])
    expect(Object.keys(ws.query.properties)).toEqual(['token'])
  })

  test('close codes with their meaning, and this server\'s limits', () => {
    const codes = doc.channels.socket['x-close-codes'].map((c: { code: number }) => c.code)
    for (const code of [1001, 1006, 1008, 1009]) {
      expect(codes).toContain(code)
      expect(doc.info.description).toContain(`| ${code} |`)
    }
    expect(doc.info.description).toContain('over 32768 bytes closes the connection (1009)')
  })

  test('the OpenAPI document links to it', async () => {
    const openapi = (await s.call('GET', '/swagger/json')).body
    expect(openapi.info.description).toContain('/asyncapi.json')
  })
})
