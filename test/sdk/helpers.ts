// Shared arrangements for the SDK suites: clients against a real server, waiting on SDK events.

import { ChatClient, type ChatClientOptions, type ChatEvents } from '../../sdk/src'
import type { Message } from '../../sdk/src/types'
import { CheckedWebSocket } from '../support/frame-check'

/** Small timings so reconnects and gaps resolve quickly in tests; every frame received is checked against its schema. */
export const FAST: Partial<ChatClientOptions> = {
  WebSocket: CheckedWebSocket as never,
  reconnect: { initialMs: 50, maxMs: 500, factor: 2 },
  requestTimeoutMs: 15_000,
  gapTimeoutMs: 3000,
  ackDelayMs: 5,
}

/** A client that records every delivered message and error, for assertions. */
export interface Recorder {
  client: ChatClient
  messages: Message[]
  errors: unknown[]
  events: { type: keyof ChatEvents; at: number; payload: unknown }[]
  /** Resolves once `n` messages of the room (all rooms when omitted) have been delivered. */
  waitMessages(n: number, roomId?: string, ms?: number): Promise<Message[]>
  /** Resolves with the first event of `type` matching `pred` (already recorded ones included). */
  waitFor<K extends keyof ChatEvents>(type: K, pred?: (p: ChatEvents[K]) => boolean, ms?: number): Promise<ChatEvents[K]>
}

const RECORDED: (keyof ChatEvents)[] = ['ack', 'state', 'connected', 'synced', 'disconnected', 'reconnecting', 'shutdown', 'epoch', 'typing', 'presence', 'read', 'message.updated', 'message.deleted', 'changes.synced', 'member.joined', 'member.left', 'notification']

export function record(client: ChatClient): Recorder {
  const messages: Message[] = []
  const errors: unknown[] = []
  const events: Recorder['events'] = []
  const waiters: (() => void)[] = []
  const poke = () => waiters.splice(0).forEach((w) => w())
  client.on('message', (m) => {
    messages.push(m)
    poke()
  })
  client.on('error', (e) => {
    errors.push(e)
    poke()
  })
  for (const type of RECORDED)
    client.on(type, (payload) => {
      events.push({ type, at: Date.now(), payload })
      poke()
    })
  const until = <T>(check: () => T | undefined, ms: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
      const test = () => {
        const v = check()
        if (v !== undefined) {
          clearTimeout(timer)
          resolve(v)
        } else waiters.push(test)
      }
      test()
    })
  return {
    client,
    messages,
    errors,
    events,
    waitMessages(n, roomId, ms = 10_000) {
      return until(
        () => {
          const ms_ = roomId ? messages.filter((m) => m.room_id === roomId) : messages
          return ms_.length >= n ? ms_ : undefined
        },
        ms,
        `${n} messages${roomId ? ` in ${roomId}` : ''} (have ${messages.length})`,
      )
    },
    waitFor(type, pred = () => true, ms = 10_000) {
      return until(
        () => events.find((e) => e.type === type && pred(e.payload as never))?.payload as never,
        ms,
        `event ${String(type)}`,
      )
    },
  }
}

/** Asserts-friendly view: seqs of a room's delivered messages, in delivery order. */
export const seqsOf = (messages: Message[], roomId: string) => messages.filter((m) => m.room_id === roomId).map((m) => m.seq)

export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)
