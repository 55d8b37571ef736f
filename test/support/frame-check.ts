// Checks frames received from the server against their schema (src/schemas/server-frames.ts), so
// every WS suite also proves that the documented frame shapes are the ones actually sent.

import { FormatRegistry } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { ServerFrames, type ServerFrameType } from '../../src/schemas/server-frames'

// SPEC §1 timestamps: ISO 8601 UTC with milliseconds. Registered here unless a loaded module
// (Elysia, for an in-process server) already did, since TypeBox fails formats it does not know.
if (!FormatRegistry.Has('date-time'))
  FormatRegistry.Set('date-time', (v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v) && !Number.isNaN(Date.parse(v)))

/** Why a received frame does not match its schema, or null when it does. */
export function frameViolation(frame: unknown): string | null {
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) return `not a JSON object: ${JSON.stringify(frame)}`
  const type = (frame as { type?: unknown }).type
  if (typeof type !== 'string' || !Object.hasOwn(ServerFrames, type)) return `unknown frame type ${JSON.stringify(type)}`
  const schema = ServerFrames[type as ServerFrameType]
  if (Value.Check(schema, frame)) return null
  const errors = [...Value.Errors(schema, frame)].slice(0, 3).map((e) => `${e.path || '/'} ${e.message}`)
  return `"${type}" frame does not match its schema (${errors.join('; ')}): ${JSON.stringify(frame).slice(0, 300)}`
}

/**
 * Throws when the frame does not match. Called from a socket's message listener, the throw fails
 * the test that is running (bun reports an error thrown by an event listener against it).
 */
export function assertServerFrame(frame: unknown): void {
  const why = frameViolation(frame)
  if (why) throw new Error(`server sent an invalid frame: ${why}`)
}

/**
 * A WebSocket that checks every text frame it receives; given to the SDK's ChatClient through its
 * `WebSocket` option so the SDK suites check what the SDK is sent.
 */
export class CheckedWebSocket extends WebSocket {
  constructor(url: string | URL, init?: ConstructorParameters<typeof WebSocket>[1]) {
    super(url, init)
    this.addEventListener('message', (e) => {
      if (typeof e.data === 'string') assertServerFrame(JSON.parse(e.data))
    })
  }
}
