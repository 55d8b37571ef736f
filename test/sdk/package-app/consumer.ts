// Type-checked by test/sdk/package.test.ts with tsc (strict, skipLibCheck off) in the fresh project
// where the tarball was installed: the declarations resolve, are self-contained, and are real
// types (each @ts-expect-error below fails the check if a type degraded to any).
import { ChatApiError, ChatClient, RestClient, type ChatClientOptions, type ErrorCode, type Message, type ServerFrame } from '@chatapi/client'

export async function roundTrip(baseUrl: string, token: string): Promise<string> {
  const rest = new RestClient({ baseUrl, token })
  const room = await rest.createRoom({ type: 'group', members: ['bob'], name: 'typed' })
  const sent = await rest.sendMessage(room.room_id, { content: 'hi', meta: { kind: 'note' } })
  const seq: number = sent.seq
  const options: ChatClientOptions = { baseUrl, token: () => token, reconnect: { initialMs: 100 } }
  const chat = new ChatClient(options)
  chat.on('message', (m: Message) => console.log(m.content.toUpperCase(), m.seq + 1))
  chat.on('error', (e) => console.log(e instanceof ChatApiError ? e.code : e.message))
  const frame: ServerFrame = { type: 'pong' }
  const code: ErrorCode = 'NOT_FOUND'
  // The WebSocket option takes the implementations Node.js users have: the global one (Node.js 22,
  // typed by the DOM lib) and the ws package's class (declared below as @types/ws declares it).
  const onNode22 = new ChatClient({ baseUrl, token, WebSocket: globalThis.WebSocket })
  const withWs = new ChatClient({ baseUrl, token, WebSocket: WsPackageWebSocket })
  onNode22.close()
  withWs.close()
  // @ts-expect-error room ids are strings
  const badId: Message['room_id'] = 1
  // @ts-expect-error not a room type
  await rest.createRoom({ type: 'private', members: [] })
  // @ts-expect-error not an error code
  const badCode: ErrorCode = 'OOPS'
  return `${room.room_id} ${seq} ${frame.type} ${code} ${badId} ${badCode}`
}

/** The ws package's WebSocket as @types/ws 8 declares it (the parts that matter here). */
declare class WsPackageWebSocket {
  constructor(address: null)
  constructor(address: string | URL, options?: { headers?: Record<string, string> })
  constructor(address: string | URL, protocols?: string | string[], options?: { headers?: Record<string, string> })
  readonly readyState: 0 | 1 | 2 | 3
  onopen: ((event: { type: string; target: WsPackageWebSocket }) => void) | null
  onerror: ((event: { error: unknown; message: string; type: string; target: WsPackageWebSocket }) => void) | null
  onclose: ((event: { wasClean: boolean; code: number; reason: string; type: string; target: WsPackageWebSocket }) => void) | null
  onmessage: ((event: { data: string | ArrayBuffer | Uint8Array[]; type: string; target: WsPackageWebSocket }) => void) | null
  close(code?: number, data?: string): void
  send(data: string | ArrayBuffer, cb?: (err?: Error) => void): void
}
